"""The call APIs: ICE servers with coturn REST credentials, snapshots, an interaction's calls and the
recordings supervisors listen to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import time

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client, override_settings

from apps.accounts.models import User
from apps.inbox.models import Contact, Interaction, Message
from apps.media.actions import do_answer_call, do_start_call
from apps.media.models import Call, Recording
from tests.conftest import PASSWORD
from tests.inbox.conftest import ContactCenter, make_center

SHOP = "http://127.0.0.1:9"


def login(cc: ContactCenter, email: str) -> Client:
    client = Client(HTTP_HOST=cc.info.host)
    assert client.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def answered_call(cc: ContactCenter) -> Call:
    connection.set_schema(cc.info.schema_name)
    contact = Contact.objects.create(name="Wu Lei")
    call = do_start_call(contact=contact, queue=cc.queue, mode="video", context={}, page={}, attributes={})
    user = User.objects.get(pk=cc.agents[0].user_id)
    # As the routing accept does it (tests/media/test_calls.py goes through the real offer).
    Interaction.objects.filter(pk=call.interaction_id).update(
        assignee=user, assigned_agent=cc.agents[0], routing_status="assigned"
    )
    do_answer_call(call.interaction, user)
    connection.set_schema_to_public()
    return call


def jpeg() -> bytes:
    import av

    frame = av.VideoFrame(width=64, height=48, format="rgb24")
    out = io.BytesIO()
    with av.open(out, "w", format="mjpeg") as container:
        stream = container.add_stream("mjpeg", rate=1)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        for packet in stream.encode(frame.reformat(format="yuvj420p")):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def test_ice_servers_give_time_limited_turn_credentials() -> None:
    cc = make_center(SHOP, agents=1)
    agent = login(cc, f"agent1@{cc.info.subdomain}.test")
    # Development and tests: loopback needs no STUN/TURN.
    assert agent.get("/api/v1/ice-servers").json()["ice_servers"] == []
    with override_settings(
        STUN_URLS=["stun:turn.example.com:3478"],
        TURN_URLS=["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"],
        TURN_SECRET="s3cret",
        TURN_TTL_SECONDS=600,
    ):
        body = agent.get("/api/v1/ice-servers").json()
    stun, turn = body["ice_servers"]
    assert stun == {"urls": ["stun:turn.example.com:3478"]}
    assert turn["urls"] == ["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"]
    expiry, _, who = turn["username"].partition(":")
    assert abs(int(expiry) - (time.time() + 600)) < 5 and who.endswith(f"agent-{cc.agents[0].user_id}")
    expected = base64.b64encode(hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    assert Client(HTTP_HOST=cc.info.host).get("/api/v1/ice-servers").status_code in {401, 403}


def test_snapshots_only_from_parties_and_only_pictures() -> None:
    cc = make_center(SHOP, agents=2)
    call = answered_call(cc)
    party = login(cc, f"agent1@{cc.info.subdomain}.test")
    outsider = login(cc, f"agent2@{cc.info.subdomain}.test")
    url = f"/api/v1/calls/{call.call_id}/snapshots"
    picture = jpeg()

    def post(client: Client, data: bytes, name: str, content_type: str) -> tuple[int, dict]:
        response = client.post(url, {"file": ContentFile(data, name=name)}, format="multipart")
        # Django's test client guesses the type from the name: name the file as the browser would.
        return response.status_code, response.json()

    status, body = post(outsider, picture, "snap.jpg", "image/jpeg")
    assert status == 403 and body["error"]["message"] == "You are not in this call."
    status, body = post(party, b"%PDF-1.4 not a picture", "snap.pdf", "application/pdf")
    assert status == 400 and body["error"]["fields"] == {"file": ["Not a picture."]}
    status, body = post(party, picture, "snap.jpg", "image/jpeg")
    assert status == 201, body
    connection.set_schema(cc.info.schema_name)
    note = Message.objects.get(interaction_id=call.interaction_id, kind="note")
    assert note.body == "Snapshot from the call" and note.attachment is not None
    assert note.attachment.content_type == "image/jpeg" and note.attachment.size == len(picture)
    # The snapshot is the agents' (a private note), not shown to the customer.
    from apps.widget.actions import missed_messages

    assert [m["body"] for m in missed_messages(call.interaction_id, 0)] == []


def test_calls_of_an_interaction_and_recordings_for_supervisors_only() -> None:
    cc = make_center(SHOP, agents=1)
    call = answered_call(cc)
    connection.set_schema(cc.info.schema_name)
    name = default_storage.save(
        f"{cc.info.schema_name}/recordings/{call.call_id}.webm", ContentFile(b"\x1aE\xdf\xa3" * 500)
    )
    Recording.objects.create(call_id=call.call_id, file=name, duration=12.5, size=2000, streams=[])
    User.objects.create_user(email=f"sup@{cc.info.subdomain}.test", password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()
    agent = login(cc, f"agent1@{cc.info.subdomain}.test")
    supervisor = login(cc, f"sup@{cc.info.subdomain}.test")

    rows = agent.get(f"/api/v1/interactions/{call.interaction_id}/calls").json()
    assert [(r["mode"], r["state"]) for r in rows] == [("video", "active")]
    assert [e["kind"] for e in rows[0]["events"]] == ["offered", "answered"]
    assert rows[0]["recording"] is None  # agents do not get recordings
    rows = supervisor.get(f"/api/v1/interactions/{call.interaction_id}/calls").json()
    url = rows[0]["recording"]["url"]
    assert rows[0]["recording"]["duration"] == 12.5
    response = supervisor.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "video/webm"
    assert b"".join(response.streaming_content) == b"\x1aE\xdf\xa3" * 500
    assert agent.get(url).status_code == 403
    # Another tenant's supervisor does not get in.
    connection.set_schema_to_public()
    other = make_center(SHOP, agents=0)
    assert Client(HTTP_HOST=other.info.host).get(url).status_code == 302  # to the sign-in page
