"""Phone numbers as E.164, by libphonenumber's rules (the `phonenumbers` port): the one form a phone
identity is stored and matched in, whatever channel brought it (SMS, WhatsApp, a call, the API)."""

from __future__ import annotations

import phonenumbers


def e164(raw: str, region: str | None = None) -> str:
    """`raw` as +<country><number>, or "" when it is not a possible, valid number. WhatsApp's ids are
    the number without "+"; Twilio writes "whatsapp:+..." for WhatsApp senders."""
    text = (raw or "").strip()
    if text.startswith("whatsapp:"):
        text = text[len("whatsapp:") :]
    if text and text[0].isdigit() and region is None:
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
