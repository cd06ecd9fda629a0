"""`make run` (the launcher's `run`): migrates, seeds the demo tenant, starts every Procfile process
with honcho, prints where to log in, and the whole thing is healthy."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import urllib.request

from tests.processes import ARTIFACTS, ROOT, free_port, port_open, wait_until


def get(port: int, path: str, host: str = "localhost") -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": f"{host}:{port}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def test_make_run_brings_everything_up_and_prints_the_logins() -> None:
    port, mail_port = free_port(), free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "make-run.log"
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_BIND": "127.0.0.1",
        "INBOUND_SMTP_PORT": str(mail_port),
        "DJANGO_SETTINGS_MODULE": "ccaas.settings.local",
        "CELERY_BEAT_SCHEDULE": os.path.join(tempfile.mkdtemp(), "beat-schedule"),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ccaas.launcher", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: get(port, "/healthz")[0] == 200, 120, "make run to be healthy")
        _, body = get(port, "/healthz")
        checks = json.loads(body)["checks"]
        assert all(c["ok"] for c in checks.values()), checks
        output = log_path.read_text()
        for line in (
            f"http://localhost:{port}/",
            f"http://demo.localhost:{port}/",
            "owner@demo.test",
            "agent1@demo.test",
            "agent2@demo.test",
            "demo-password-1",
        ):
            assert line in output
        # Every Procfile process but the one-off release is running.
        for name in ("web.1", "worker.1", "beat.1", "media.1", "mail.1"):
            assert f"{name} started" in output
            assert f"{name} stopped" not in output
        assert get(port, "/login/", host="demo.localhost")[0] == 200
        # The demo tenant takes mail (the `mail` process: apps/email/receiver.py).
        assert f"support@demo.mail.localhost (SMTP at 127.0.0.1:{mail_port})" in output
        wait_until(lambda: port_open(mail_port), 30, "the mail receiver")
        with smtplib.SMTP("127.0.0.1", mail_port, timeout=30) as client:
            refused = client.sendmail("x@example.com", ["support@demo.mail.localhost"], b"Subject: Hi\r\n\r\nHello")
        assert refused == {}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    wait_until(lambda: get(port, "/healthz")[0] == 0, 20, "make run to stop")
