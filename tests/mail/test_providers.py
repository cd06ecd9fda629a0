"""Providers' inbound webhooks (issue 16): recorded deliveries of Mailgun, SendGrid, Postmark and Amazon SES
(SNS), signed in the test with known secrets, posted to the tenant's URL; each mail reaches the inbox
through the same receiving code as the SMTP receiver (a real `email` worker).

A wrong basic-auth secret is 401; one tampered byte of Mailgun's signature or of SES's signed message is
403 and keeps nothing; an old Mailgun timestamp or SNS Timestamp is refused as a replay; the same
delivery posted twice (a provider's retry) is one message; the URL of another tenant's secret does not
open this one."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.db import connection
from django.test import Client

from apps.accounts.models import User
from apps.email.actions import do_save_provider_inbound, mailbox_for
from apps.email.models import ProviderInbound
from apps.email.providers import _sns_text
from apps.email.secrets import unseal
from apps.inbox.models import Message
from tests.conftest import TenantInfo
from tests.mail import fixtures
from tests.mail.test_mail_flow import settle

SIGNING_KEY = "key-mailgun-test-0123456789"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"


def bodies() -> list[str]:
    return sorted(Message.objects.filter(kind="customer").values_list("body", flat=True))


def hook_for(tenant: TenantInfo, provider: str) -> tuple[Client, dict[str, str]]:
    connection.set_schema(tenant.schema_name)
    mailbox = mailbox_for(["support"])
    owner = User.objects.get(email=tenant.email)
    hook = do_save_provider_inbound(owner, {"provider": provider, "mailbox": mailbox.pk, "signing_key": SIGNING_KEY})
    secret = unseal(hook.secret_sealed)
    connection.set_schema_to_public()
    auth = base64.b64encode(f"anymail:{secret}".encode()).decode()
    return Client(HTTP_HOST=tenant.host), {"HTTP_AUTHORIZATION": f"Basic {auth}"}


def mailgun_fields(raw: bytes, *, timestamp: int | None = None, key: str = SIGNING_KEY) -> dict[str, str]:
    stamp, token = str(timestamp or int(time.time())), uuid.uuid4().hex
    signature = hmac.new(key.encode(), f"{stamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "recipient": "support@alpha.example", "sender": "wu.lei@example.com", "subject": "Where is my order?",
        "body-mime": raw.decode(), "timestamp": stamp, "token": token, "signature": signature,
    }  # fmt: skip


def test_mailgun(tenant_a: TenantInfo, tenant_b: TenantInfo, email_worker: object) -> None:
    client, auth = hook_for(tenant_a, "mailgun")
    url = "/email/inbound/mailgun/"
    fields = mailgun_fields(fixtures.first_mail("support@alpha.example", message_id="mg1@example.com", body="MG"))

    assert client.post(url, fields).status_code == 401  # no basic auth
    tampered = {**fields, "signature": ("0" if fields["signature"][0] != "0" else "1") + fields["signature"][1:]}
    answer = client.post(url, tampered, **auth)
    assert answer.status_code == 403 and "signature" in answer.json()["error"]
    old = mailgun_fields(fixtures.first_mail("support@alpha.example", message_id="mg0@example.com", body="Old"),
                         timestamp=int(time.time()) - 3600)  # fmt: skip
    answer = client.post(url, old, **auth)
    assert answer.status_code == 403 and "replay" in answer.json()["error"]

    assert client.post(url, fields, **auth).json() == {"kept": 1}
    assert client.post(url, fields, **auth).status_code == 200  # the provider's retry
    settle(tenant_a.schema_name)
    assert bodies() == ["MG"]
    hook = ProviderInbound.objects.get()
    assert hook.received == 2 and "replay" in hook.last_error

    # Tenant B's URL with tenant A's secret: refused (each tenant has its own).
    client_b, _auth_b = hook_for(tenant_b, "mailgun")
    assert client_b.post(url, fields, **auth).status_code == 401


def test_sendgrid_and_postmark(tenant_a: TenantInfo, email_worker: object) -> None:
    client, auth = hook_for(tenant_a, "sendgrid")
    raw = fixtures.first_mail("support@alpha.example", message_id="sg1@example.com", body="SG")
    form = {"email": raw.decode(), "to": "support@alpha.example", "from": "wu.lei@example.com", "subject": "Hi",
            "envelope": json.dumps({"to": ["support@alpha.example"], "from": "wu.lei@example.com"})}  # fmt: skip
    wrong = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"anymail:guess").decode()}
    assert client.post("/email/inbound/sendgrid/", form, **wrong).status_code == 401
    assert client.post("/email/inbound/sendgrid/", form, **auth).json() == {"kept": 1}
    assert client.post("/email/inbound/sendgrid/", form, **auth).status_code == 200

    client, auth = hook_for(tenant_a, "postmark")
    postmark = {
        "FromFull": {"Email": "li.na@example.com", "Name": "Li Na"}, "ToFull": [{"Email": "support@alpha.example"}],
        "CcFull": [], "Subject": "Broken lamp", "MessageID": "2c3e1d2b-pm", "Date": "Mon, 7 Dec 2026 10:00:00 +0000",
        "TextBody": "The lamp arrived broken.", "HtmlBody": "", "Attachments": [],
        "Headers": [{"Name": "Message-ID", "Value": "<pm1@example.com>"}],
    }  # fmt: skip
    answer = client.post("/email/inbound/postmark/", json.dumps(postmark), "application/json", **auth)
    assert answer.json() == {"kept": 1}
    bad = client.post("/email/inbound/postmark/", b"{not json", "application/json", **auth)
    assert bad.status_code == 400 and bad.json()["error"]
    huge = json.dumps({**postmark, "TextBody": "x" * (3 * 1024 * 1024)})  # over Django's 2.5 MB for a body
    assert client.post("/email/inbound/postmark/", huge, "application/json", **auth).status_code == 413
    settle(tenant_a.schema_name)
    assert bodies() == ["SG", "The lamp arrived broken."]
    lamp = Message.objects.get(body="The lamp arrived broken.").interaction
    assert lamp.contact is not None and lamp.contact.email == "li.na@example.com"


@pytest.fixture
def amazon(settings: Any) -> Any:
    """An RSA key and its certificate standing in for Amazon's SNS signing certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    settings.SES_SNS_CERTIFICATES = {CERT_URL: cert.public_bytes(serialization.Encoding.PEM).decode()}
    return key


def sns(key: Any, raw: bytes, *, sent: dt.datetime | None = None) -> dict[str, Any]:
    ses = {
        "notificationType": "Received",
        "mail": {
            "source": "wu.lei@example.com",
            "messageId": uuid.uuid4().hex,
            "destination": ["support@alpha.example"],
        },
        "receipt": {"recipients": ["support@alpha.example"], "action": {"type": "SNS", "encoding": "BASE64"}},
        "content": base64.b64encode(raw).decode(),
    }
    stamp = (sent or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    message = {
        "Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": "arn:aws:sns:us-east-1:1:inbound",
        "Subject": "Amazon SES Email Receipt Notification", "Message": json.dumps(ses), "Timestamp": stamp,
        "SignatureVersion": "2", "SigningCertURL": CERT_URL,
    }  # fmt: skip
    message["Signature"] = base64.b64encode(key.sign(_sns_text(message), padding.PKCS1v15(), hashes.SHA256())).decode()
    return message


def post_sns(client: Client, auth: dict[str, str], body: bytes | str, kind: str = "Notification") -> Any:
    return client.post(
        "/email/inbound/ses/", body, "text/plain; charset=UTF-8", HTTP_X_AMZ_SNS_MESSAGE_TYPE=kind, **auth
    )


def test_ses_through_sns(tenant_a: TenantInfo, amazon: Any, email_worker: object) -> None:
    client, auth = hook_for(tenant_a, "ses")
    signed = json.dumps(sns(amazon, fixtures.first_mail("support@alpha.example", message_id="ses1@x.com", body="SES")))
    assert post_sns(client, {}, signed).status_code == 401  # SNS sends basic auth only when asked
    # One byte of the signed message changed: refused, nothing kept.
    at = signed.index("Amazon SES Email")
    tampered = signed[:at] + "a" + signed[at + 1 :]
    answer = post_sns(client, auth, tampered)
    assert answer.status_code == 403 and "signature" in answer.json()["error"]
    old = sns(amazon, fixtures.first_mail("support@alpha.example", message_id="ses0@x.com", body="Old"),
              sent=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))  # fmt: skip
    assert post_sns(client, auth, json.dumps(old)).status_code == 403
    # Signed by someone else's key: refused.
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = sns(stranger, fixtures.first_mail("support@alpha.example", message_id="ses9@x.com", body="Forged"))
    assert post_sns(client, auth, json.dumps(forged)).status_code == 403

    assert post_sns(client, auth, signed).json() == {"kept": 1}
    assert post_sns(client, auth, signed).status_code == 200  # SNS's retry
    settle(tenant_a.schema_name)
    assert bodies() == ["SES"]
