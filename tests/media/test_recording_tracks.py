"""Each party's audio of a recording on its own (issue 15, the evaluation page's player): supervisors get
one party's track as a WebM that holds that party's voice and not the other's, with byte ranges for
seeking; agents and other tenants do not; a track the recording lacks is a 404."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import av
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client

from apps.accounts.models import User
from apps.media.engine.recording import probe
from apps.media.models import Recording
from tests.conftest import PASSWORD
from tests.inbox.conftest import make_center
from tests.media.synth import loudness, two_party_webm
from tests.media.test_call_apis import SHOP, answered_call, login


def test_one_party_at_a_time() -> None:
    cc = make_center(SHOP, agents=1)
    call = answered_call(cc)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "call.webm"
        two_party_webm(path, {"customer": [(0, 2), (5, 7)], "agent": [(2.5, 5)]}, 8)
        probed = probe(path)
        connection.set_schema(cc.info.schema_name)
        name = default_storage.save(
            f"{cc.info.schema_name}/recordings/{call.call_id}.webm", ContentFile(path.read_bytes())
        )
    recording = Recording.objects.create(
        call_id=call.call_id, file=name, duration=probed.duration, size=probed.size, streams=probed.streams
    )
    agent_index = next(s["index"] for s in probed.streams if s["party"] == "agent")
    User.objects.create_user(email=f"sup@{cc.info.subdomain}.test", password=PASSWORD, role="supervisor")
    connection.set_schema_to_public()
    supervisor = login(cc, f"sup@{cc.info.subdomain}.test")
    url = f"/calls/recordings/{recording.pk}/tracks/{agent_index}"

    got = supervisor.get(url)
    assert got.status_code == 200 and got["Content-Type"] == "audio/webm" and got["Accept-Ranges"] == "bytes"
    data = got.content
    with av.open(io.BytesIO(data)) as container:
        assert [(s.type, s.metadata.get("title")) for s in container.streams] == [("audio", "agent")]
        assert abs(container.duration / 1e6 - 8) < 0.2
    # The agent speaks from 2.5 s to 5 s; the customer's turns are not in this track.
    assert loudness(data, 3, 4.5) > 0.05
    assert loudness(data, 0.2, 1.8) < 0.005 and loudness(data, 5.3, 6.8) < 0.005

    # Seeking: a range, the end of the file, and a range past the end.
    part = supervisor.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part.content == data[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}"
    tail = supervisor.get(url, HTTP_RANGE="bytes=-50")
    assert tail.status_code == 206 and tail.content == data[-50:]
    assert supervisor.get(url, HTTP_RANGE=f"bytes={len(data)}-").status_code == 416
    # Made once, kept beside the recording: the same bytes again.
    assert supervisor.get(url).content == data

    assert supervisor.get(f"/calls/recordings/{recording.pk}/tracks/9").status_code == 404
    assert login(cc, f"agent1@{cc.info.subdomain}.test").get(url).status_code == 403
    connection.set_schema_to_public()
    other = make_center(SHOP, agents=0)
    assert Client(HTTP_HOST=other.info.host).get(url).status_code == 302  # to the sign-in page
