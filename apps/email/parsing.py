"""What an incoming mail says, read once with the standard library (`email`, `policy.default`): who sent
it to whom, the ids that thread it, whether a machine sent it (auto-reply, list, bulk, bounce), its text
with the quoted history folded away, its HTML made safe (nh3), and its attachments (inline images
keep their Content-ID). Pure functions: no database, no network."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

import nh3

MSGID = re.compile(r"<([^<>\s]+)>")
# Where the quoted history starts in a plain-text reply: "On Mon, ... wrote:", Outlook's separator
# block, "-----Original Message-----", or the first line quoted with ">" after which only quotes follow.
QUOTE_HEADS = [
    re.compile(r"^\s*On .{4,200}wrote:\s*$", re.MULTILINE),
    re.compile(r"^\s*在.{4,200}写道[:\uff1a]\s*$", re.MULTILINE),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.MULTILINE | re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*原始邮件\s*-{2,}\s*$", re.MULTILINE),
    re.compile(r"^\s*From: .+\n\s*Sent: .+\n", re.MULTILINE),
    re.compile(r"^\s*发件人[:\uff1a].+\n", re.MULTILINE),
]
TOKEN = re.compile(r"\[#(\d{1,12})\]")


@dataclass
class Part:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""  # without <>: an inline image the HTML refers to as cid:<id>
    inline: bool = False


@dataclass
class Mail:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    sender: str  # the address, lower-cased
    sender_name: str
    to: list[str]
    cc: list[str]
    text: str  # the whole plain text
    reply_text: str  # the text with the quoted history folded away
    html: str  # sanitised ("" when the mail had none)
    parts: list[Part] = field(default_factory=list)
    content_hash: str = ""
    auto_submitted: bool = False  # an auto-reply, a vacation notice: never answered automatically
    bulk: bool = False  # a list or bulk mail, or junk
    bounce: bool = False  # a delivery status notification
    bounced_ids: list[str] = field(default_factory=list)  # the Message-IDs a bounce reports on
    bounce_reason: str = ""


def ids(value: str | None) -> list[str]:
    """The message ids of a header (In-Reply-To, References), without their angle brackets, in order."""
    return MSGID.findall(str(value or ""))


def addresses(*values: str | None) -> list[str]:
    return [a.lower() for _name, a in getaddresses([str(v) for v in values if v]) if "@" in a]


def fold_quotes(text: str) -> str:
    """The reply without the history it quotes (kept whole in `text`)."""
    cut = len(text)
    for head in QUOTE_HEADS:
        found = head.search(text)
        if found and found.start() < cut and text[: found.start()].strip():
            cut = found.start()
    reply = text[:cut]
    lines = reply.rstrip().split("\n")
    # A tail of ">" lines (and blanks) is quoted history too.
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    return "\n".join(lines).strip() or text.strip()


def sanitise_html(html: str) -> str:
    """Only harmless markup: no script, style, event handlers or remote frames; images only from the
    message itself (cid:) or https; links open outside with no referrer."""
    return nh3.clean(
        html,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def html_to_text(html: str) -> str:
    text = re.sub(r"(?is)<(script|style)[^>]*>.*?</\1>", "", html)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>|</h\d>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    import html as html_lib

    text = html_lib.unescape(text)
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+", " ", text)).strip()


def content_hash(raw: bytes) -> str:
    """The body's hash (the headers set on the way, Received and such, left out): the same Message-ID with
    another body is another mail, the same mail delivered twice is one."""
    head_end = raw.find(b"\r\n\r\n")
    head_end = raw.find(b"\n\n") if head_end < 0 else head_end
    body = raw[head_end:] if head_end >= 0 else raw
    return hashlib.sha256(body.strip()).hexdigest()


def _is_auto(msg: EmailMessage) -> tuple[bool, bool]:
    auto = str(msg.get("Auto-Submitted", "no")).strip().lower() not in ("", "no") or bool(
        msg.get("X-Autoreply") or msg.get("X-Autorespond")
    )
    precedence = str(msg.get("Precedence", "")).strip().lower()
    bulk = precedence in ("bulk", "list", "junk") or bool(msg.get("List-Id") or msg.get("List-Unsubscribe"))
    if str(msg.get("X-Auto-Response-Suppress", "")).lower() in ("all", "oof", "autoreply"):
        auto = True
    return auto, bulk


def _bounce(msg: EmailMessage) -> tuple[bool, list[str], str]:
    """A delivery status notification (RFC 3464), and the ids of the mail it reports on."""
    if msg.get_content_type() != "multipart/report" or msg.get_param("report-type") != "delivery-status":
        return False, [], ""
    reported: list[str] = []
    reason = ""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, EmailMessage):
                reported += ids(inner.get("Message-ID"))
            else:
                text = part.get_content() if kind.startswith("text/") else str(payload)
                found = re.search(r"(?im)^Message-ID:\s*(<[^>]+>)", str(text))
                if found:
                    reported += ids(found.group(1))
        elif kind == "message/delivery-status":
            text = "\n".join(str(p) for p in part.get_payload()) if part.is_multipart() else str(part.get_payload())
            found = re.search(r"(?im)^Diagnostic-Code:\s*(.+)$", text) or re.search(r"(?im)^Status:\s*(.+)$", text)
            if found:
                reason = found.group(1).strip()[:500]
    return True, reported, reason


def parse(raw: bytes) -> Mail:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    name, sender = parseaddr(str(msg.get("From", "")))
    auto, bulk = _is_auto(msg)
    bounce, bounced, reason = _bounce(msg)
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    html = sanitise_html(str(html_part.get_content())) if html_part is not None else ""
    text = str(text_part.get_content()) if text_part is not None else (html_to_text(html) if html else "")
    text = text.replace("\r\n", "\n")
    parts: list[Part] = []
    for part in msg.walk():
        if part.is_multipart() or part in (text_part, html_part):
            continue
        disposition = part.get_content_disposition()
        cid = ids(part.get("Content-ID"))
        if disposition == "attachment" or (cid and part.get_content_maintype() != "text") or part.get_filename():
            decoded = part.get_payload(decode=True)
            data = decoded if isinstance(decoded, bytes) else b""
            parts.append(
                Part(
                    filename=str(part.get_filename() or (f"{cid[0]}" if cid else "attachment"))[:200],
                    content_type=part.get_content_type(),
                    data=data,
                    content_id=cid[0] if cid else "",
                    inline=disposition != "attachment" and bool(cid),
                )
            )
    mid = ids(msg.get("Message-ID"))
    digest = content_hash(raw)
    return Mail(
        message_id=mid[0] if mid else f"{digest[:32]}@no-message-id",
        in_reply_to=ids(msg.get("In-Reply-To")),
        references=ids(msg.get("References")),
        subject=str(msg.get("Subject", "")).strip()[:998],
        sender=sender.lower(),
        sender_name=name.strip()[:150],
        to=addresses(msg.get("To")),
        cc=addresses(msg.get("Cc")),
        text=text.strip(),
        reply_text=fold_quotes(text),
        html=html,
        parts=parts,
        content_hash=digest,
        auto_submitted=auto,
        bulk=bulk,
        bounce=bounce or sender.lower().split("@")[0] in ("mailer-daemon", "postmaster"),
        bounced_ids=bounced,
        bounce_reason=reason,
    )


def ticket_token(subject: str) -> int | None:
    found = TOKEN.search(subject)
    return int(found.group(1)) if found else None


def display(address: str, name: str = "") -> str:
    local, _at, domain = address.partition("@")
    return str(Address(display_name=name, username=local, domain=domain))
