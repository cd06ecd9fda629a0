"""Reading mail (issue 16): ids for threading, the quoted history folded, HTML made safe with its inline
image kept, machines recognised (lists, out-of-office, bounces and what they bounce), the body hash
that tells a reused Message-ID from the same mail delivered twice."""

from __future__ import annotations

from apps.email.parsing import fold_quotes, parse, ticket_token
from tests.mail import fixtures

TO = "support@shop.mail.localhost"


def test_a_first_mail() -> None:
    mail = parse(fixtures.first_mail(TO))
    assert (mail.message_id, mail.sender, mail.sender_name) == ("m1@example.com", "wu.lei@example.com", "Wu Lei")
    assert (mail.subject, mail.to, mail.reply_text) == ("Where is my order?", [TO], "My order 1234 never arrived.")
    assert not (mail.auto_submitted or mail.bulk or mail.bounce)


def test_replies_fold_their_history() -> None:
    outlook = parse(fixtures.outlook_reply(TO, "Where is my order? [#12]"))
    assert outlook.in_reply_to == [] and outlook.references == []
    assert outlook.reply_text == "Still nothing, can you check again?"
    assert "We are looking into it." in outlook.text  # kept whole
    assert ticket_token(outlook.subject) == 12
    apple = parse(fixtures.apple_reply(TO, "ack-1@shop", "<m1@example.com> <ack-1@shop>"))
    assert apple.in_reply_to == ["ack-1@shop"] and apple.references == ["m1@example.com", "ack-1@shop"]
    assert apple.reply_text == "Here is the label."
    assert fold_quotes("Thanks!\n\n在 2026年12月7日 写道\uff1a\n> 您好") == "Thanks!"
    assert fold_quotes("> only a quote") == "> only a quote"  # nothing else: kept


def test_html_is_made_safe_and_inline_images_kept() -> None:
    apple = parse(fixtures.apple_reply(TO, "a@b", "<a@b>"))
    assert "<script" not in apple.html and "onclick" not in apple.html and "alert(1)" not in apple.html
    assert 'src="cid:label@apple"' in apple.html and "Here is the label." in apple.html
    [image] = apple.parts
    assert (image.content_id, image.inline, image.content_type, image.filename) == (
        "label@apple", True, "image/png", "label.png",
    )  # fmt: skip
    assert image.data == fixtures.PNG


def test_machines_are_recognised() -> None:
    assert parse(fixtures.list_mail(TO)).bulk
    assert parse(fixtures.out_of_office(TO)).auto_submitted
    dsn = parse(fixtures.bounce(TO, "out-7@shop.mail.localhost"))
    assert dsn.bounce and dsn.bounced_ids == ["out-7@shop.mail.localhost"]
    assert "Recipient address rejected" in dsn.bounce_reason
    fwd = parse(fixtures.forwarded(TO))
    assert not fwd.bounce and "Nobody answers my calls!" in fwd.text


def test_the_body_hash_tells_mails_apart() -> None:
    one = parse(fixtures.first_mail(TO))
    again = parse(b"Received: from mx2.example.com\r\n" + fixtures.first_mail(TO))  # delivered twice
    other = parse(fixtures.first_mail(TO, body="A different question, same Message-ID."))
    assert one.content_hash == again.content_hash and one.content_hash != other.content_hash
    assert one.message_id == other.message_id
