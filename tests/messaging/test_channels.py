"""Messaging channels end to end (issue 16), with the real parts: signed deliveries posted to the web
process, drained into the inbox by a real Celery worker, answers sent to a fake provider over HTTP.

Per provider: the handshake, a customer's message in the inbox (contact by phone or channel id, files
kept), the agent's answer delivered and its statuses (never going back), errors the agent sees; and
the refusals: a tampered byte, the wrong host or scheme in a Twilio-signed URL, a stale WeChat
timestamp, a wrong Telegram secret, a replayed delivery (WeChat's three tries: one message)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from apps.accounts.models import User
from apps.inbox.actions import do_agent_reply
from apps.inbox.models import Contact, ContactIdentity, Interaction, Message
from apps.messaging.actions import do_send_template
from apps.messaging.models import Inbound, Outbound, Thread
from tests.conftest import CeleryWorker, WebServer
from tests.messaging.conftest import (
    SECRETS,
    Connected,
    FakeProvider,
    connect,
    meta_headers,
    twilio_signed,
    wechat_query,
    whatsapp_status,
    whatsapp_text,
)
from tests.processes import wait_until


def in_tenant(c: Connected) -> None:
    connection.set_schema(c.schema)


def messages_of(c: Connected, count: int, kind: str = "customer") -> list[Message]:
    def found() -> list[Message]:
        in_tenant(c)
        return list(Message.objects.filter(kind=kind).order_by("interaction_id", "seq"))

    wait_until(lambda: len(found()) >= count, 30, f"{count} {kind} message(s)")
    return found()


def reply(c: Connected, interaction: Interaction, text: str) -> Message:
    in_tenant(c)
    owner = User.objects.filter(role="owner").first()
    assert owner is not None
    return do_agent_reply(Interaction.objects.get(pk=interaction.pk), owner, text)


def outbound_status(c: Connected, message: Message, status: str) -> Outbound:
    def found() -> Outbound | None:
        in_tenant(c)
        return Outbound.objects.filter(message=message, status=status).first()

    wait_until(lambda: found() is not None, 30, f"the message to be {status}")
    result = found()
    assert result is not None
    return result


def test_whatsapp(web_server: WebServer, messaging_worker: CeleryWorker, provider: FakeProvider) -> None:
    templates = [{"name": "follow_up", "language": "en", "text": "Hello again! Reply to go on."}]
    c = connect("whatsapp", web_server, templates)
    secret = SECRETS["whatsapp"]["app_secret"]

    # Meta's handshake: our verify token, the challenge echoed; anyone else's token refused.
    ok = c.get(f"?hub.mode=subscribe&hub.verify_token={c.channel.verify_token}&hub.challenge=42")
    assert (ok.status_code, ok.text) == (200, "42")
    assert c.get("?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=42").status_code == 403

    body = whatsapp_text("4915112345678", "Is my order shipped?", "wamid.IN1")
    answer = c.post(body, meta_headers(body, secret))
    assert answer.status_code == 200
    # One tampered byte: refused, nothing stored. The same delivery again: still one message.
    tampered = body.replace(b"shipped", b"shippeD")
    assert c.post(tampered, meta_headers(body, secret)).status_code == 403
    assert c.post(body, meta_headers(body, secret)).status_code == 200
    [first] = messages_of(c, 1)
    assert first.body == "Is my order shipped?"
    interaction = first.interaction
    assert interaction.channel == "messaging" and interaction.subject == "WhatsApp: Ana Souza"
    assert interaction.contact is not None and interaction.contact.phone == "+4915112345678"
    assert interaction.contact.name == "Ana Souza"
    assert Inbound.objects.count() == 1

    # The agent's answer goes to WhatsApp's API as text to the customer's number.
    sent = reply(c, interaction, "Yes, it left today.")
    [call] = provider.sent(r"/v20\.0/1098765/messages", where=lambda x: x.json.get("to") == "4915112345678")
    assert call.json["text"]["body"] == "Yes, it left today." and call.headers["Authorization"] == "Bearer wa-access"
    out = outbound_status(c, sent, "sent")
    # Delivered, then read; a late "delivered" after "read" changes nothing.
    for status in ("delivered", "read", "delivered"):
        status_body = whatsapp_status(out.provider_id, status)
        assert c.post(status_body, meta_headers(status_body, secret)).status_code == 200
    outbound_status(c, sent, "read")
    wait_until(lambda: not Inbound.objects.filter(state="pending").exists(), 30, "every status drained")
    assert Outbound.objects.get(pk=out.pk).status == "read"

    # Outside the 24-hour window a free answer is refused before WhatsApp is called, and the agent reads
    # why; an approved template is sent as the template.
    Thread.objects.filter(channel=c.channel).update(last_inbound_at=timezone.now() - timedelta(hours=25))
    calls_before = len(provider.sent(r"/v20\.0/1098765/messages"))
    late = reply(c, interaction, "Anything else?")
    failed = outbound_status(c, late, "failed")
    assert "24 hours" in failed.error
    [note] = messages_of(c, 1, kind="system")
    assert note.body.startswith("Not delivered to the customer:") and "24 hours" in note.body
    in_tenant(c)
    owner = User.objects.get(role="owner")
    do_send_template(owner, Interaction.objects.get(pk=interaction.pk), "follow_up")
    calls = provider.sent(r"/v20\.0/1098765/messages", count=calls_before + 1)
    assert calls[-1].json["type"] == "template" and calls[-1].json["template"]["name"] == "follow_up"
    assert len(calls) == calls_before + 1  # the refused free answer never reached WhatsApp
    connection.set_schema_to_public()


def test_sms_through_twilio(
    web_server: WebServer, proxied_web: WebServer, messaging_worker: CeleryWorker, provider: FakeProvider
) -> None:
    c = connect("twilio", proxied_web)
    token = SECRETS["twilio"]["auth_token"]
    fields = {
        "MessageSid": "SM" + "a" * 32,
        "AccountSid": SECRETS["twilio"]["account_sid"],
        "From": "+4915112345678",
        "To": "+14155550100",
        "Body": "Photo of the damage",
        "NumMedia": "1",
        "MediaUrl0": f"{provider.base}/files/damage.png",
        "MediaContentType0": "image/png",
    }
    # Twilio signed the public https URL; the proxy on 127.0.0.1 (trusted) says the request came in as https.
    public = c.url().replace("http://", "https://")
    body, headers = twilio_signed(public, fields, token)
    assert c.post(body, {**headers, "X-Forwarded-Proto": "https"}).status_code == 200
    # The same signature over http (no proxy header), or for another host, does not pass.
    assert c.post(body, headers).status_code == 403
    other_host = public.replace(c.subdomain, c.subdomain + "x")
    body2, headers2 = twilio_signed(other_host, fields, token)
    assert c.post(body2, {**headers2, "X-Forwarded-Proto": "https"}).status_code == 403
    # A server that does not trust the sender as its proxy ignores its X-Forwarded-Proto.
    untrusted = Connected(c.schema, c.subdomain, c.channel, web_server)
    assert untrusted.post(body, {**headers, "X-Forwarded-Proto": "https"}).status_code == 403

    [message] = messages_of(c, 1)
    assert message.body == "Photo of the damage"
    assert message.attachment is not None and message.attachment.content_type == "image/png"
    assert message.attachment.file.read()[:8] == b"\x89PNG\r\n\x1a\n"
    assert message.interaction.contact is not None and message.interaction.contact.phone == "+4915112345678"

    # Twilio busy once (503): the answer is sent on the next try.
    provider.script[r"/Accounts/AC1+/Messages\.json"] = [(503, {"message": "busy"})]
    sent = reply(c, message.interaction, "We will send a new one.")
    out = outbound_status(c, sent, "sent")
    assert out.attempts == 2
    call = provider.sent(r"/Accounts/AC1+/Messages\.json", count=2, where=lambda x: "new one" in x.form["Body"])[-1]
    assert call.form["To"] == "+4915112345678" and call.form["From"] == "+14155550100"
    assert call.form["Body"] == "We will send a new one." and call.headers["Authorization"].startswith("Basic ")
    # Twilio's status callback: delivered.
    status_fields = {
        "MessageSid": out.provider_id,
        "AccountSid": SECRETS["twilio"]["account_sid"],
        "MessageStatus": "delivered",
    }
    body3, headers3 = twilio_signed(public, status_fields, token)
    assert c.post(body3, {**headers3, "X-Forwarded-Proto": "https"}).status_code == 200
    outbound_status(c, sent, "delivered")

    # A refusal (an unreachable number) is the agent's to read, on the conversation.
    provider.script[r"/Accounts/AC1+/Messages\.json"] = [
        (400, {"code": 21211, "message": "The 'To' number is not valid."})
    ]
    refused = reply(c, message.interaction, "Hello?")
    assert outbound_status(c, refused, "failed").error == "The 'To' number is not valid."
    [note] = messages_of(c, 1, kind="system")
    assert "The 'To' number is not valid." in note.body
    connection.set_schema_to_public()


def test_wechat(web_server: WebServer, messaging_worker: CeleryWorker, provider: FakeProvider) -> None:
    c = connect("wechat", web_server)
    token = SECRETS["wechat"]["token"]
    shake = c.get(wechat_query(token) + "&echostr=hello-wx")
    assert (shake.status_code, shake.text) == (200, "hello-wx")
    assert c.get(wechat_query("wrong") + "&echostr=x").status_code == 403

    xml = (
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oOPENID1]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[你好 我的订单呢]]></Content><MsgId>23456789012345678</MsgId></xml>"
    ).encode()
    # WeChat's three tries (it waits 5 s for each): one message.
    for _ in range(3):
        answer = c.post(xml, {"Content-Type": "text/xml"}, wechat_query(token))
        assert (answer.status_code, answer.text) == (200, "success")
    # A delivery signed ten minutes ago is a replay: refused.
    assert c.post(xml, {"Content-Type": "text/xml"}, wechat_query(token, at=int(time.time()) - 600)).status_code == 403
    [message] = messages_of(c, 1)
    assert message.body == "你好 我的订单呢"
    wait_until(lambda: not Inbound.objects.filter(state="pending").exists(), 30, "the retries drained")
    assert Message.objects.filter(kind="customer").count() == 1
    assert ContactIdentity.objects.filter(kind="messaging", value="wechat:wx0123456789:oOPENID1").exists()

    sent = reply(c, message.interaction, "您的订单已发货。")
    outbound_status(c, sent, "sent")
    call = provider.sent(r"/cgi-bin/message/custom/send", where=lambda x: x.json["touser"] == "oOPENID1")[-1]
    assert call.json == {"touser": "oOPENID1", "msgtype": "text", "text": {"content": "您的订单已发货。"}}
    assert call.query["access_token"][0].startswith("wx-token-")
    connection.set_schema_to_public()


def test_messenger_and_telegram(web_server: WebServer, messaging_worker: CeleryWorker, provider: FakeProvider) -> None:
    m = connect("messenger", web_server)
    secret = SECRETS["messenger"]["app_secret"]
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "5551212",
                    "time": 1,
                    "messaging": [
                        {
                            "sender": {"id": "PSID77"},
                            "recipient": {"id": "5551212"},
                            "timestamp": int(time.time() * 1000),
                            "message": {"mid": "m_in_1", "text": "Do you ship to Lyon?"},
                        }
                    ],
                }
            ],
        }
    ).encode()
    assert m.post(body, meta_headers(body, secret)).status_code == 200
    [message] = messages_of(m, 1)
    assert message.body == "Do you ship to Lyon?"
    sent = reply(m, message.interaction, "We do!")
    out = outbound_status(m, sent, "sent")
    call = provider.sent(r"^/v20\.0/me/messages$", where=lambda x: x.json["message"] == {"text": "We do!"})[-1]
    assert call.json["recipient"] == {"id": "PSID77"} and call.json["message"] == {"text": "We do!"}
    read = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "5551212",
                    "time": 1,
                    "messaging": [
                        {
                            "sender": {"id": "PSID77"},
                            "recipient": {"id": "5551212"},
                            "timestamp": int(time.time() * 1000),
                            "read": {"watermark": int(time.time() * 1000) + 1000},
                        }
                    ],
                }
            ],
        }
    ).encode()
    assert m.post(read, meta_headers(read, secret)).status_code == 200
    assert outbound_status(m, sent, "read").pk == out.pk

    t = connect("telegram", web_server)
    update = json.dumps(
        {
            "update_id": 9001,
            "message": {
                "message_id": 5,
                "date": int(time.time()),
                "from": {"id": 42, "first_name": "Li", "last_name": "Wei"},
                "chat": {"id": 42, "type": "private"},
                "caption": "Receipt",
                "photo": [{"file_id": "small", "file_size": 10}, {"file_id": "big", "file_size": 99}],
            },
        }
    ).encode()
    wrong = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "guess"}
    assert t.post(update, wrong).status_code == 403
    right = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRETS["telegram"]["secret_token"]}
    assert t.post(update, right).status_code == 200
    [photo] = messages_of(t, 1)
    assert photo.body == "Receipt" and photo.attachment is not None
    assert photo.interaction.contact is not None and photo.interaction.contact.name == "Li Wei"
    assert provider.sent(r"/getFile$", method="GET")[-1].query["file_id"] == ["big"]
    # The bot was blocked: Telegram's words, on the conversation.
    provider.script[r"/sendMessage$"] = [
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    ]
    blocked = reply(t, photo.interaction, "Thanks!")
    assert outbound_status(t, blocked, "failed").error == "Forbidden: bot was blocked by the user"
    connection.set_schema_to_public()


def test_bad_deliveries_get_clear_answers(web_server: WebServer) -> None:
    c = connect("whatsapp", web_server)
    secret = SECRETS["whatsapp"]["app_secret"]
    not_json = b"{nope"
    answer = c.post(not_json, meta_headers(not_json, secret))
    assert answer.status_code == 400 and "not JSON" in answer.text
    other_number = whatsapp_text("4915112345678", "hi", "wamid.X", number_id="999")
    answer = c.post(other_number, meta_headers(other_number, secret))
    assert answer.status_code == 400 and "another WhatsApp number" in answer.text
    unsigned = whatsapp_text("4915112345678", "hi", "wamid.Y")
    assert c.post(unsigned, {"Content-Type": "application/json"}).status_code == 403
    huge = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    assert c.post(huge, meta_headers(huge, secret)).status_code == 413
    # Another tenant's host does not know this channel.
    other = connect("telegram", web_server)
    wrong_host = Connected(other.schema, other.subdomain, c.channel, web_server).post(
        unsigned, meta_headers(unsigned, secret)
    )
    assert wrong_host.status_code == 404
    in_tenant(c)
    assert not Inbound.objects.exists() and not Contact.objects.exists()
    connection.set_schema_to_public()


def test_one_customer_across_sms_and_whatsapp(
    web_server: WebServer, proxied_web: WebServer, messaging_worker: CeleryWorker
) -> None:
    """The same phone number on SMS and on WhatsApp is one contact (E.164 identities)."""
    from apps.messaging.actions import do_save_channel
    from apps.routing.models import Queue

    sms = connect("twilio", proxied_web)
    in_tenant(sms)
    owner = User.objects.get(role="owner")
    wa_channel = do_save_channel(
        owner,
        {
            "provider": "whatsapp",
            "name": "WA",
            "address": "1098765",
            "queue": Queue.objects.get(name="Support").pk,
            "secrets": SECRETS["whatsapp"],
        },
    )
    wa = Connected(sms.schema, sms.subdomain, wa_channel, proxied_web)
    connection.set_schema_to_public()
    public = sms.url().replace("http://", "https://")
    fields = {"MessageSid": "SM" + "b" * 32, "From": "+49 151 1234 5678", "To": "+14155550100", "Body": "SMS here"}
    body, headers = twilio_signed(public, fields, SECRETS["twilio"]["auth_token"])
    assert sms.post(body, {**headers, "X-Forwarded-Proto": "https"}).status_code == 200
    wa_body = whatsapp_text("4915112345678", "WhatsApp here", "wamid.Z1")
    assert wa.post(wa_body, meta_headers(wa_body, SECRETS["whatsapp"]["app_secret"])).status_code == 200
    first, second = messages_of(sms, 2)
    assert first.interaction.contact_id == second.interaction.contact_id
    assert first.interaction_id != second.interaction_id
    assert Contact.objects.get(pk=first.interaction.contact_id).phone == "+4915112345678"
    connection.set_schema_to_public()
