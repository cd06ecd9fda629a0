"""Files an agent sends on messaging channels (issue 16), through the real `messaging` worker to the fake
provider: WhatsApp and WeChat get the file uploaded first and sent by media id, Messenger and Telegram
as a multipart upload, Twilio by a signed address on the tenant's host that it fetches (and nobody
else can: a changed token, another tenant's host or an expired link get nothing). The caption goes
with the file, or first where the provider takes none; a file WeChat does not take fails with words
the agent reads on the conversation."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.inbox.actions import do_agent_reply, do_open_interaction, do_store_attachment
from apps.inbox.models import Contact, Message
from apps.messaging import views as messaging_views
from apps.messaging.models import Outbound, Thread
from apps.routing.models import Queue
from tests.conftest import CeleryWorker, WebServer
from tests.messaging.conftest import PNG, Connected, FakeProvider, call_tenant, connect
from tests.processes import wait_until

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def send_file(c: Connected, address: str, caption: str, name: str, data: bytes, content_type: str) -> Message:
    """An agent's answer with a file, in an open thread with the customer at `address`."""
    connection.set_schema(c.schema)
    interaction = do_open_interaction(
        channel="messaging", queue=Queue.objects.get(name="Support"), contact=Contact.objects.create()
    )
    Thread.objects.create(channel=c.channel, address=address, interaction=interaction, last_inbound_at=timezone.now())
    owner = User.objects.get(role="owner")
    attachment = do_store_attachment(interaction, SimpleUploadedFile(name, data, content_type=content_type))
    return do_agent_reply(interaction, owner, caption, attachment=attachment)


def outcome(c: Connected, message: Message, status: str) -> Outbound:
    def found() -> Outbound | None:
        connection.set_schema(c.schema)
        return Outbound.objects.filter(message=message, status=status).first()

    wait_until(lambda: found() is not None, 30, f"the file to be {status}")
    result = found()
    assert result is not None
    return result


def test_whatsapp_messenger_telegram_and_wechat(
    web_server: WebServer, messaging_worker: CeleryWorker, provider: FakeProvider
) -> None:
    wa = connect("whatsapp", web_server)
    sent = send_file(wa, "4915112345678", "Your invoice", "invoice.pdf", PDF, "application/pdf")
    outcome(wa, sent, "sent")
    [upload] = provider.sent(r"^/v20\.0/1098765/media$", where=lambda x: x.is_multipart)
    assert upload.parts["file"] == ("invoice.pdf", PDF) and upload.parts["messaging_product"][1] == b"whatsapp"
    assert upload.headers["Authorization"] == "Bearer wa-access"
    message = provider.sent(r"^/v20\.0/1098765/messages$", where=lambda x: x.json.get("type") == "document")[-1]
    media_id = message.json["document"]["id"]
    assert media_id.startswith("wamedia")
    assert message.json["document"] == {"id": media_id, "caption": "Your invoice", "filename": "invoice.pdf"}
    assert message.json["to"] == "4915112345678"

    fb = connect("messenger", web_server)
    sent = send_file(fb, "PSID9", "Here is the photo", "photo.png", PNG, "image/png")
    outcome(fb, sent, "sent")
    text = provider.sent(
        r"^/v20\.0/me/messages$", where=lambda x: not x.is_multipart and x.json["recipient"]["id"] == "PSID9"
    )
    assert text[-1].json["message"] == {"text": "Here is the photo"}  # Messenger takes no caption: first
    [photo] = provider.sent(
        r"^/v20\.0/me/messages$", where=lambda x: x.is_multipart and b"PSID9" in x.parts["recipient"][1]
    )
    assert photo.parts["filedata"] == ("photo.png", PNG)
    assert json.loads(photo.parts["message"][1]) == {"attachment": {"type": "image", "payload": {"is_reusable": False}}}

    tg = connect("telegram", web_server)
    sent = send_file(tg, "42", "The receipt", "receipt.png", PNG, "image/png")
    assert outcome(tg, sent, "sent").provider_id.startswith("42:")
    [tg_photo] = provider.sent(r"/sendPhoto$")
    assert tg_photo.parts["photo"] == ("receipt.png", PNG)
    assert tg_photo.parts["chat_id"][1] == b"42" and tg_photo.parts["caption"][1] == b"The receipt"
    sent = send_file(tg, "43", "", "terms.pdf", PDF, "application/pdf")
    outcome(tg, sent, "sent")
    [document] = provider.sent(r"/sendDocument$")
    assert document.parts["document"] == ("terms.pdf", PDF) and "caption" not in document.parts

    wx = connect("wechat", web_server)
    sent = send_file(wx, "oOPENID5", "", "map.png", PNG, "image/png")
    outcome(wx, sent, "sent")
    [wx_upload] = provider.sent(r"^/cgi-bin/media/upload$")
    assert wx_upload.query["type"] == ["image"] and wx_upload.parts["media"] == ("map.png", PNG)
    image = provider.sent(r"^/cgi-bin/message/custom/send$", where=lambda x: x.json["touser"] == "oOPENID5")[-1]
    assert image.json["msgtype"] == "image" and image.json["image"]["media_id"].startswith("WXMEDIA")
    # WeChat's customer-service messages take no documents: the agent reads why, nothing is sent.
    refused = send_file(wx, "oOPENID6", "Contract", "contract.pdf", PDF, "application/pdf")
    failed = outcome(wx, refused, "failed")
    assert failed.error == "WeChat takes images and voice messages only; send a link to the file instead."
    assert Message.objects.filter(
        interaction=refused.interaction, kind="system", body__contains="WeChat takes"
    ).exists()
    assert len(provider.sent(r"^/cgi-bin/media/upload$")) == 1  # only the image went up
    assert not [x for x in provider.sent(r"^/cgi-bin/message/custom/send$") if x.json["touser"] == "oOPENID6"]
    connection.set_schema_to_public()


def test_twilio_fetches_the_file_from_a_signed_address(
    web_server: WebServer, messaging_worker: CeleryWorker, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = connect("twilio", web_server)
    other = connect("twilio", web_server)
    sent = send_file(c, "+4915112345678", "The map", "map.png", PNG, "image/png")
    outcome(c, sent, "sent")
    call = provider.sent(r"/Accounts/AC1+/Messages\.json", where=lambda x: x.form.get("To") == "+4915112345678")[-1]
    assert call.form["Body"] == "The map"
    link = urlsplit(call.form["MediaUrl"])
    assert link.hostname == f"{c.subdomain}.localhost" and link.path.startswith("/hooks/messaging/files/")

    # What Twilio gets when it fetches it: the file, shown, never as a page of the tenant's host.
    got = call_tenant("GET", web_server, c.host, link.path, b"", {})
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["Content-Type"] == "image/png" and got.headers["Content-Security-Policy"].startswith("sandbox")
    # Another tenant's host, a changed token: nothing.
    assert call_tenant("GET", web_server, other.host, link.path, b"", {}).status_code == 404
    tampered = link.path[:-3] + ("A" if link.path[-3] != "A" else "B") + link.path[-2:]
    assert call_tenant("GET", web_server, c.host, tampered, b"", {}).status_code == 404

    # An hour later the link has expired (the limit moved instead of the clock).
    monkeypatch.setattr(messaging_views, "FILE_LINK_SECONDS", -1)
    expired: Any = Client(HTTP_HOST=f"{c.subdomain}.localhost").get(link.path)
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    connection.set_schema_to_public()
