"""IMAP (issue 16) against a real IMAP server (pymap): a tenant's own mailbox read into the inbox through
the same receiving code as the SMTP receiver.

The first look starts after the mail already in the folder; new mail comes in once each, looked at
twice or not; progress lost (a crash before the last UID was saved) fetches again without a second
message; a rebuilt folder (new UIDVALIDITY) is read again, only its new mail added; a refused password
and an unreachable server are kept on the connection for the settings page; the `mail` process's IDLE
watcher brings a mail in without any polling; the password is never given back by the API."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.db import connection
from imapclient import IMAPClient

from apps.accounts.models import User
from apps.email.actions import do_save_imap, mailbox_for
from apps.email.models import Email, ImapAccount
from apps.email.tasks import look_now as poll
from apps.inbox.models import Message
from tests.conftest import TenantInfo
from tests.mail import fixtures
from tests.mail.conftest import ImapServer, Receiver
from tests.mail.test_mail_flow import settle
from tests.mail.test_rules import client_for, send
from tests.processes import Proc, free_port, port_open, python, wait_until


def bodies() -> list[str]:
    return sorted(Message.objects.filter(kind="customer").values_list("body", flat=True))


def connect(tenant: TenantInfo, imap_server: ImapServer, folder: str, **extra: object) -> ImapAccount:
    connection.set_schema(tenant.schema_name)
    mailbox = mailbox_for(["support"])
    owner = User.objects.get(email=tenant.email)
    data = {
        "mailbox": mailbox.pk, "host": "127.0.0.1", "port": imap_server.port, "security": "none",
        "username": imap_server.user, "password": imap_server.password, "folder": folder, **extra,
    }  # fmt: skip
    return do_save_imap(owner, data)


def first_look_done(account: ImapAccount) -> None:
    wait_until(lambda: ImapAccount.objects.get(pk=account.pk).checked_at is not None, 30, "the first look")


def test_new_mail_once_each(tenant_a: TenantInfo, imap_server: ImapServer, email_worker: object, settings: Any) -> None:
    folder = f"Support-{uuid.uuid4().hex[:6]}"
    domain = "alpha.example"
    imap_server.deliver(fixtures.first_mail(f"support@{domain}", message_id="old@example.com", body="Old"), folder)
    # Off for beat and the IDLE watcher (the last test covers those): every look here is the test's own.
    account = connect(tenant_a, imap_server, folder, enabled=False)
    assert poll(account.pk).fetched == 0  # the first look: the folder's place taken, its old mail left alone
    account.refresh_from_db()
    assert account.last_error == "" and account.uidvalidity and account.supports_idle
    assert account.password_encrypted and imap_server.password not in account.password_encrypted
    started_at = account.last_uid

    imap_server.deliver(fixtures.first_mail(f"support@{domain}", message_id="i1@example.com", body="One"), folder)
    imap_server.deliver(fixtures.first_mail(f"support@{domain}", message_id="i2@example.com", body="Two"), folder)
    assert poll(account.pk).fetched == 2
    assert poll(account.pk).fetched == 0  # looked at again: nothing new
    settle(tenant_a.schema_name)
    assert bodies() == ["One", "Two"]

    # Progress lost (a crash before the last UID was saved): both fetched again, stored once.
    ImapAccount.objects.filter(pk=account.pk).update(last_uid=started_at)
    assert poll(account.pk).fetched == 2
    settle(tenant_a.schema_name)
    assert bodies() == ["One", "Two"] and Email.objects.filter(direction="in").count() == 2

    # The folder rebuilt (a new UIDVALIDITY) with a new mail in it: read again, one mail more.
    client = imap_server.client()
    client.delete_folder(folder)
    client.logout()
    for mid, body in (("i1", "One"), ("i2", "Two"), ("i3", "Three")):
        imap_server.deliver(
            fixtures.first_mail(f"support@{domain}", message_id=f"{mid}@example.com", body=body), folder
        )
    poll(account.pk)
    settle(tenant_a.schema_name)
    assert bodies() == ["One", "Three", "Two"]
    assert Message.objects.get(body="Three").interaction.channel == "email"

    # A mail over the size limit is left in the folder, and the connection says so; the next one comes in.
    settings.MAX_INBOUND_EMAIL_BYTES = 200_000
    big = fixtures.first_mail(f"support@{domain}", message_id="big@example.com", body="x" * 300_000)
    imap_server.deliver(big, folder)
    imap_server.deliver(fixtures.first_mail(f"support@{domain}", message_id="i4@example.com", body="Four"), folder)
    assert poll(account.pk).fetched == 1
    assert (
        "A mail of 0.3 MB is over the limit of 0.2 MB: it was left in the folder"
        in ImapAccount.objects.get(pk=account.pk).left_behind
    )
    settle(tenant_a.schema_name)
    assert bodies() == ["Four", "One", "Three", "Two"]

    # What goes wrong is kept on the connection (and cleared when it works again).
    owner = User.objects.get(email=tenant_a.email)
    do_save_imap(owner, {"password": "not-it"}, account.pk)
    looked = poll(account.pk)
    assert not looked.ok and looked.error == "The server refused the user name or password."
    assert ImapAccount.objects.get(pk=account.pk).last_error == looked.error
    do_save_imap(owner, {"password": imap_server.password, "port": 1}, account.pk)
    looked = poll(account.pk)
    assert not looked.ok and looked.error.startswith("Could not reach 127.0.0.1 on port 1")
    do_save_imap(owner, {"port": imap_server.port}, account.pk)
    assert poll(account.pk).ok and ImapAccount.objects.get(pk=account.pk).last_error == ""


def test_api_never_shows_the_password(tenant_a: TenantInfo, imap_server: ImapServer, email_worker: object) -> None:
    connection.set_schema(tenant_a.schema_name)
    mailbox = mailbox_for(["support"])
    connection.set_schema_to_public()
    client = client_for(tenant_a, tenant_a.email)
    bad = send(client, "post", "/api/v1/email/imap", {"mailbox": mailbox.pk, "host": "imap example"})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"host"}
    made = send(
        client, "post", "/api/v1/email/imap",
        {"mailbox": mailbox.pk, "host": "127.0.0.1", "port": imap_server.port, "security": "none",
         "username": imap_server.user, "password": imap_server.password, "folder": "INBOX"},
    )  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json()["has_password"] is True and imap_server.password.encode() not in made.content
    listed = client.get("/api/v1/email/imap")
    assert imap_server.password.encode() not in listed.content and listed.json()["results"][0]["host"] == "127.0.0.1"


def test_idle_brings_mail_at_once(
    tenant_a: TenantInfo, imap_server: ImapServer, receiver: Receiver, email_worker: object
) -> None:
    """No beat runs here: only the `mail` process's IDLE watcher can bring the mail in."""
    folder = f"Idle-{uuid.uuid4().hex[:6]}"
    imap_server.deliver(fixtures.first_mail("support@alpha.example", message_id="x0@example.com", body="Old"), folder)
    account = connect(tenant_a, imap_server, folder)
    first_look_done(account)
    imap_server.deliver(fixtures.first_mail("support@alpha.example", message_id="x1@example.com", body="Now"), folder)
    wait_until(lambda: bodies() == ["Now"], 30, "the mail brought in by IDLE")


@pytest.fixture(scope="module")
def tls_imap(tmp_path_factory: Any) -> Iterator[tuple[int, str]]:
    """pymap offering STARTTLS with a certificate for 127.0.0.1 signed by a CA of the test's own."""
    folder = tmp_path_factory.mktemp("imap-tls")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    port = free_port()
    proc = Proc(
        "pymap-tls",
        python(
            "-c", "from pymap.main import main; main()", "--host", "127.0.0.1", "--port", str(port),
            "--cert", str(cert_file), "--key", str(key_file),
            "dict", "--demo-data", "--demo-user", "tls@alpha.example", "--demo-password", "tls-secret",
        ),
        ready=lambda: port_open(port),
    ).start()  # fmt: skip
    yield port, str(cert_file)
    proc.stop()


def test_starttls(tenant_a: TenantInfo, tls_imap: tuple[int, str], settings: Any, email_worker: object) -> None:
    """STARTTLS with the server's certificate checked: trusted (the CA given), the mail comes in; not
    trusted, the look fails and says why."""
    port, ca_file = tls_imap
    connection.set_schema(tenant_a.schema_name)
    owner = User.objects.get(email=tenant_a.email)
    account = do_save_imap(
        owner,
        {"mailbox": mailbox_for(["support"]).pk, "host": "127.0.0.1", "port": port, "security": "starttls",
         "username": "tls@alpha.example", "password": "tls-secret", "enabled": False},
    )  # fmt: skip
    settings.IMAP_CA_FILE = ""
    looked = poll(account.pk)
    assert not looked.ok and looked.error.startswith("The secure connection to 127.0.0.1 failed")
    assert "CERTIFICATE_VERIFY_FAILED" in looked.error

    settings.IMAP_CA_FILE = ca_file
    assert poll(account.pk).ok  # the first look: from here on
    client = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10)
    client.starttls(ssl.create_default_context(cafile=ca_file))
    client.login("tls@alpha.example", "tls-secret")
    client.append("INBOX", fixtures.first_mail("support@alpha.example", message_id="tls1@example.com", body="TLS"))
    client.logout()
    assert poll(account.pk).fetched == 1
    settle(tenant_a.schema_name)
    assert bodies() == ["TLS"]
