"""Providers' inbound webhooks (django-anymail): Mailgun, SendGrid, Postmark and Amazon SES (through SNS)
post the mail they received for the tenant to `/email/inbound/<provider>/` on the tenant's host.

What is checked, before anything is kept:
- every provider: HTTP basic auth `anymail:<secret>`, the tenant's own secret (anymail's WEBHOOK_SECRET,
  per tenant here);
- Mailgun: the HMAC-SHA256 signature of timestamp + token with the tenant's signing key, and a timestamp
  no older than MAIL_WEBHOOK_MAX_AGE_SECONDS (an old delivery replayed is refused);
- SES: the SNS message's RSA signature (SignatureVersion 1 or 2) against Amazon's certificate, from
  `SigningCertURL` only when it is https on `sns.<region>.amazonaws.com` (or one given in
  SES_SNS_CERTIFICATES, {url: PEM}, for a closed network and the tests), and its Timestamp no older
  than MAIL_WEBHOOK_MAX_AGE_SECONDS.
SendGrid and Postmark sign nothing else: their body is trusted on the basic auth alone.

A refused post is answered 401 / 403 / 400 with the reason; an accepted one 200 once the mail is kept
and queued for `email.receive` (the same code as the SMTP receiver and IMAP), which recognises a
provider's retry as the same mail (Message-ID and body) and stores it once."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import urllib.request
from datetime import datetime
from typing import Any

from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .models import ProviderInbound
from .secrets import unseal

logger = logging.getLogger(__name__)

VIEWS: dict[str, Any] = {
    "mailgun": MailgunInboundWebhookView,
    "sendgrid": SendGridInboundWebhookView,
    "postmark": PostmarkInboundWebhookView,
}
BASIC_USER = "anymail"
SNS_CERT_URL = re.compile(r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[^?#]+\.pem$")
_certificates: dict[str, Any] = {}


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _check_mailgun_age(request: HttpRequest) -> None:
    if request.content_type == "application/json":
        try:
            stamp = json.loads(request.body)["signature"]["timestamp"]
        except (ValueError, KeyError, TypeError) as exc:
            raise Refused(400, _("Not a Mailgun delivery.")) from exc
    else:
        stamp = request.POST.get("timestamp", "")
    try:
        age = time.time() - float(stamp)
    except (TypeError, ValueError) as exc:
        raise Refused(400, _("The delivery's timestamp is not a time.")) from exc
    if abs(age) > settings.MAIL_WEBHOOK_MAX_AGE_SECONDS:
        raise Refused(403, _("The delivery is too old (or from the future): refused as a replay."))


def _sns_certificate(url: str) -> Any:
    given = settings.SES_SNS_CERTIFICATES.get(url)
    if given:
        return x509.load_pem_x509_certificate(given.encode())
    if not SNS_CERT_URL.match(url):
        raise Refused(403, _("The SNS signing certificate is not Amazon's."))
    if url not in _certificates:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - https on Amazon's host only
                _certificates[url] = x509.load_pem_x509_certificate(answer.read())
        except (OSError, ValueError) as exc:
            raise Refused(503, _("Amazon's SNS certificate could not be fetched now; try again.")) from exc
    return _certificates[url]


def _sns_text(message: dict[str, Any]) -> bytes:
    if message.get("Type") == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{k}\n{message[k]}\n" for k in keys if k in message).encode()


def check_sns(body: bytes) -> None:
    """An SNS message signed by Amazon (the certificate of its SigningCertURL) and recent."""
    try:
        message = json.loads(body)
        signature = base64.b64decode(message["Signature"])
        version, url, stamp = message.get("SignatureVersion", "1"), message["SigningCertURL"], message["Timestamp"]
    except (ValueError, KeyError, TypeError) as exc:
        raise Refused(400, _("Not an SNS message.")) from exc
    key = _sns_certificate(url).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise Refused(403, _("The SNS signing certificate is not Amazon's."))
    digest = hashes.SHA256() if version == "2" else hashes.SHA1()  # noqa: S303 - SNS's version 1 is SHA1
    try:
        key.verify(signature, _sns_text(message), padding.PKCS1v15(), digest)
    except InvalidSignature as exc:
        raise Refused(403, _("The SNS message's signature does not match: refused.")) from exc
    try:
        sent = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Refused(400, _("The delivery's timestamp is not a time.")) from exc
    if abs((timezone.now() - sent).total_seconds()) > settings.MAIL_WEBHOOK_MAX_AGE_SECONDS:
        raise Refused(403, _("The delivery is too old (or from the future): refused as a replay."))


def _ses_mails(hook: ProviderInbound, request: HttpRequest) -> list[bytes]:
    """SES's receipt rule with an SNS action (the mail inside the notification, up to 150 KB): basic auth,
    then SNS's signature and age. (Anymail's SES view needs boto3 for S3 actions; an S3 action is
    refused here with the reason.)"""
    from anymail.utils import get_request_basic_auth
    from django.utils.crypto import constant_time_compare

    given = get_request_basic_auth(request)
    if not given:
        raise Refused(401, _("Sign in with the webhook's user and secret."))
    if not constant_time_compare(given, f"{BASIC_USER}:{unseal(hook.secret_sealed)}"):
        raise Refused(401, _("Refused: wrong user or secret."))
    check_sns(request.body)
    sns = json.loads(request.body)
    if request.META.get("HTTP_X_AMZ_SNS_MESSAGE_TYPE") != sns.get("Type"):
        raise Refused(400, _("The SNS message type header does not match its body."))
    if sns.get("Type") != "Notification":
        return []  # a subscription (un)confirmation: the admin confirms it in AWS (nothing fetched from here)
    try:
        event = json.loads(sns["Message"])
    except (ValueError, KeyError, TypeError):
        return []  # SNS's "Successfully validated SNS topic" note
    action = event.get("receipt", {}).get("action", {})
    if event.get("notificationType") != "Received" or action.get("type") != "SNS" or not event.get("content"):
        raise Refused(400, _("Only SES receipt rules with an SNS action (the mail in the notification) are read."))
    content = event["content"]
    try:
        return [base64.b64decode(content) if action.get("encoding") == "BASE64" else content.encode()]
    except (ValueError, UnicodeEncodeError) as exc:
        raise Refused(400, _("The mail in the notification cannot be read.")) from exc


def _view_for(hook: ProviderInbound) -> Any:
    kwargs: dict[str, Any] = {"webhook_secret": [f"{BASIC_USER}:{unseal(hook.secret_sealed)}"]}
    if hook.provider == ProviderInbound.Provider.MAILGUN:
        key = unseal(hook.signing_key_sealed)
        if not key:
            raise Refused(403, _("Mailgun's signing key is not set for this tenant: refused."))
        kwargs["webhook_signing_key"] = key
    return VIEWS[hook.provider](**kwargs)


def _raw_mails(hook: ProviderInbound, request: HttpRequest) -> list[bytes]:
    if hook.provider == ProviderInbound.Provider.SES:
        return _ses_mails(hook, request)
    view = _view_for(hook)
    if hook.provider == ProviderInbound.Provider.SENDGRID:
        # Only "POST the raw, full MIME message" (the `email` field): the mail as written, its Message-ID
        # kept (a retry is recognised). The form was read by core's input check already, so anymail's
        # wish to read the body again (for the parsed format's charsets) is met with an empty one.
        if "email" not in request.POST:
            raise Refused(400, _("Turn on “POST the raw, full MIME message” in SendGrid's Inbound Parse."))
        if not hasattr(request, "_body"):
            request._body = b""
    try:
        view.run_validators(request)
    except AnymailWebhookValidationFailure as exc:
        status = 401 if "basic auth" in str(exc) else 403
        raise Refused(status, _("Refused: %(why)s") % {"why": exc}) from exc
    except AnymailError as exc:
        raise Refused(
            400, _("Not a delivery of %(p)s: %(why)s") % {"p": hook.get_provider_display(), "why": exc}
        ) from exc
    if hook.provider == ProviderInbound.Provider.MAILGUN:
        _check_mailgun_age(request)
    try:
        events = view.parse_events(request)
    except (AnymailError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise Refused(
            400, _("Not a delivery of %(p)s: %(why)s") % {"p": hook.get_provider_display(), "why": exc}
        ) from exc
    return [e.message.as_bytes() for e in events if getattr(e, "message", None) is not None]


@csrf_exempt
def provider_inbound(request: HttpRequest, provider: str) -> HttpResponse:
    from .tasks import spool

    if request.method == "HEAD":
        return HttpResponse()
    if request.method != "POST":
        return JsonResponse({"error": _("Deliveries are POSTed.")}, status=405)
    hook = ProviderInbound.objects.select_related("mailbox").filter(provider=provider, enabled=True).first()
    if hook is None:
        return JsonResponse({"error": _("No inbound webhook of this provider here.")}, status=404)
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.MAX_INBOUND_EMAIL_BYTES * 2:
        return JsonResponse({"error": _("The delivery is too large.")}, status=413)
    try:
        try:
            mails = _raw_mails(hook, request)
        except RequestDataTooBig as exc:  # a JSON delivery over DATA_UPLOAD_MAX_MEMORY_SIZE
            raise Refused(413, _("The delivery is too large.")) from exc
    except Refused as exc:
        ProviderInbound.objects.filter(pk=hook.pk).update(last_error=exc.message[:2000], error_at=timezone.now())
        logger.warning("Inbound %s webhook refused: %s", provider, exc.message)
        response = JsonResponse({"error": exc.message}, status=exc.status)
        if exc.status == 401:
            response["WWW-Authenticate"] = 'Basic realm="inbound mail"'
        return response
    for raw in mails:
        spool(raw, [hook.mailbox.local_part])
    if mails:
        ProviderInbound.objects.filter(pk=hook.pk).update(
            received=F("received") + len(mails), received_at=timezone.now()
        )
    return JsonResponse({"kept": len(mails)})
