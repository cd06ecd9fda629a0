"""Real processes for the tests: the web server (daphne), a Celery worker, a media worker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Proc:
    """A child process with its output in test-artifacts/<name>.log."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        ready: Callable[[], bool] | None = None,
        ready_timeout: float = 30,
    ) -> None:
        self.name, self.argv, self.ready, self.ready_timeout = name, argv, ready, ready_timeout
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # only the test process needs it (Playwright's loop)
        self.popen: subprocess.Popen[bytes] | None = None
        ARTIFACTS.mkdir(exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # parallel workers: a log each
        self.log_path = ARTIFACTS / (f"{worker}-{name}.log" if worker else f"{name}.log")

    def start(self) -> Proc:
        log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        if self.ready:
            try:
                wait_until(
                    lambda: self._alive_or_raise() and self.ready(),
                    self.ready_timeout,  # type: ignore[misc]
                    f"{self.name} to be ready",
                )
            except AssertionError as exc:
                self.stop()
                raise AssertionError(f"{self.name} did not start; log:\n{self.log_path.read_text()[-3000:]}") from exc
        return self

    def _alive_or_raise(self) -> bool:
        assert self.popen is not None
        if self.popen.poll() is not None:
            raise AssertionError(
                f"{self.name} exited with {self.popen.returncode}:\n{self.log_path.read_text()[-3000:]}"
            )
        return True

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, sig)
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)
        except ProcessLookupError:
            pass

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


def python(*args: str) -> list[str]:
    return [sys.executable, *args]
