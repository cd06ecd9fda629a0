"""Email's rows: the tenant's mailboxes (where mail for an address goes, its auto-reply and signature)
and every mail in and out (the ids that thread it, its body hash, its state), beside the inbox
message that shows it."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """An address of the tenant, `<local_part>@<subdomain>.<INBOUND_EMAIL_DOMAIN>`: its mail opens
    interactions in `queue`. The default mailbox takes mail for every other address."""

    name = models.CharField(_("name"), max_length=100)
    local_part = models.CharField(_("address"), max_length=64, unique=True)
    queue = models.ForeignKey("routing.Queue", on_delete=models.PROTECT, related_name="+")
    is_default = models.BooleanField(_("default"), default=False)
    signature = models.TextField(_("signature"), blank=True)
    auto_reply = models.BooleanField(_("acknowledge new mail"), default=True)
    auto_reply_body = models.TextField(_("acknowledgement"), blank=True)
    out_of_hours_body = models.TextField(_("acknowledgement out of hours"), blank=True)
    # The tenant's own outgoing server (empty host: the platform's EMAIL_HOST); its password sealed
    # (apps/email/secrets.py), never shown back. `send_as`: the From address there (empty: ours).
    smtp_host = models.CharField(_("outgoing server (SMTP)"), max_length=253, blank=True)
    smtp_port = models.PositiveIntegerField(_("port"), default=587)
    smtp_security = models.CharField(_("security"), max_length=8, default="starttls")
    smtp_username = models.CharField(_("SMTP login"), max_length=254, blank=True)
    smtp_password_sealed = models.TextField(blank=True)
    send_as = models.EmailField(_("send as"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.local_part


class Email(models.Model):
    """One mail, in or out. Inbound mail is one row per (Message-ID, body hash): the same mail delivered
    twice is recognised, another mail that reuses a Message-ID is not lost."""

    class Direction(models.TextChoices):
        IN = "in", _("Received")
        OUT = "out", _("Sent")

    class Kind(models.TextChoices):
        MAIL = "mail", _("Mail")
        AUTO_REPLY = "auto_reply", _("Automatic reply")
        BOUNCE = "bounce", _("Delivery failure")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        QUEUED = "queued", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not delivered")
        IGNORED = "ignored", _("Not threaded")

    interaction = models.ForeignKey(
        "inbox.Interaction", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    message = models.OneToOneField(
        "inbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="email"
    )
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MAIL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    msgid = models.CharField(max_length=255)  # its Message-ID, without <>
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.JSONField(default=list)
    content_hash = models.CharField(max_length=64, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    sender = models.CharField(max_length=254, blank=True)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    bcc = models.JSONField(default=list, blank=True)  # only ever on mail we send
    html = models.TextField(blank=True)  # sanitised
    inline = models.JSONField(default=dict, blank=True)  # {content-id: attachment id}: its cid: images
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["msgid"], name="email_msgid"),
            models.Index(fields=["interaction", "created_at"], name="email_interaction"),
        ]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["msgid", "content_hash"],
                condition=models.Q(direction="in"),
                name="email_in_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.msgid}"


class AutoReply(models.Model):
    """When a sender was last answered automatically: at most one acknowledgement a day each."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=254)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["mailbox", "address"], name="autoreply_once"),
        ]

    def __str__(self) -> str:
        return self.address


class MailRule(models.Model):
    """Where a new conversation by mail goes, decided by what the mail says: the first rule that matches
    (by position) sets its queue, labels, priority and routing attributes; none: the mailbox's queue."""

    class Field(models.TextChoices):
        SENDER_DOMAIN = "sender_domain", _("Sender's domain")
        SENDER = "sender", _("Sender's address")
        RECIPIENT = "recipient", _("Address written to")
        SUBJECT = "subject", _("Subject")
        BODY = "body", _("Text")

    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(default=0)
    field = models.CharField(_("when"), max_length=16, choices=Field.choices)
    contains = models.CharField(_("contains"), max_length=200)
    queue = models.ForeignKey("routing.Queue", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    labels = models.JSONField(default=list, blank=True)
    priority = models.SmallIntegerField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.field} ~ {self.contains}"

    def matches(self, *, sender: str, recipients: list[str], subject: str, body: str) -> bool:
        wanted = self.contains.lower()
        if self.field == self.Field.SENDER_DOMAIN:
            domain = sender.rpartition("@")[2].lower()
            return domain == wanted or domain.endswith("." + wanted)
        if self.field == self.Field.SENDER:
            return sender.lower() == wanted
        if self.field == self.Field.RECIPIENT:
            return any(wanted in r.lower() for r in recipients)
        if self.field == self.Field.SUBJECT:
            return wanted in subject.lower()
        return wanted in body.lower()


class ImapAccount(models.Model):
    """A mailbox of the tenant's own (at their mail provider) read over IMAP: its new mail is brought into
    `mailbox` as if it had been sent to it. Mail is fetched by UID: `uidvalidity` and `last_uid` say
    where the last look ended (a changed UIDVALIDITY means the folder was rebuilt: it is read again,
    and what was already received is recognised as the same mail). The password is kept encrypted
    (apps/email/secrets.py) and never shown back."""

    class Security(models.TextChoices):
        SSL = "ssl", _("TLS (usually port 993)")
        STARTTLS = "starttls", _("STARTTLS (usually port 143)")
        NONE = "none", _("None: only on a private network")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="imap_accounts")
    host = models.CharField(_("server"), max_length=253)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("security"), max_length=8, choices=Security.choices, default=Security.SSL)
    username = models.CharField(_("user name"), max_length=254)
    password_encrypted = models.TextField(blank=True)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    enabled = models.BooleanField(_("on"), default=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    supports_idle = models.BooleanField(default=False)
    fetched = models.PositiveIntegerField(default=0)  # mails brought in, all told
    checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)
    left_behind = models.TextField(blank=True)  # the last mail left in the folder (over the size limit)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.username}@{self.host}/{self.folder}"


class ProviderInbound(models.Model):
    """Mail a provider receives for the tenant (Mailgun, SendGrid, Postmark, Amazon SES through SNS) and
    posts to `/email/inbound/<provider>/` on the tenant's host (django-anymail reads it): the post must
    carry HTTP basic auth `anymail:<secret>` (made here, shown to admins to paste into the provider's
    URL), and Mailgun's also its signature by the tenant's signing key; SES's SNS message is checked
    against Amazon's certificate. The mail goes into `mailbox`."""

    class Provider(models.TextChoices):
        MAILGUN = "mailgun", "Mailgun"
        SENDGRID = "sendgrid", "SendGrid"
        POSTMARK = "postmark", "Postmark"
        SES = "ses", "Amazon SES"

    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices, unique=True)
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="+")
    secret_sealed = models.TextField()  # the basic-auth password we made
    signing_key_sealed = models.TextField(blank=True)  # Mailgun's HTTP webhook signing key
    enabled = models.BooleanField(_("on"), default=True)
    received = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["provider"]

    def __str__(self) -> str:
        return self.provider
