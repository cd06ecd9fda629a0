"""Writes of the inbox: contacts and identities, messages, attachments, resolve, transfer, CSAT.

Everything shown to a person is persisted before it is sent; events go out after commit to the
interaction's group (the customer's widget, the agents viewing it and the assignee's desktops, which follow
every open conversation assigned to them)."""

from .canned import (
    VARIABLES,
    check_canned_body,
    do_delete_canned_response,
    do_save_canned_response,
    render_canned,
)
from .contacts import (
    IdentityTaken,
    check_attributes,
    check_phone,
    do_create_contact,
    do_identify_contact,
    do_merge_contacts,
    do_update_contact,
)
from .conversations import check_can_work_on, do_agent_reply, do_record_csat, do_resolve, do_transfer
from .hotpath import amark_read_by_assignee, apost_message
from .messages import (
    ALLOWED_ATTACHMENT_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_MESSAGE_CHARS,
    agents_group,
    check_message_body,
    do_mark_read,
    do_post_message,
    do_store_attachment,
    interaction_group,
    message_payload,
)
from .opening import do_open_interaction

__all__ = [
    "ALLOWED_ATTACHMENT_TYPES",
    "MAX_ATTACHMENT_BYTES",
    "MAX_MESSAGE_CHARS",
    "VARIABLES",
    "IdentityTaken",
    "agents_group",
    "amark_read_by_assignee",
    "apost_message",
    "check_attributes",
    "check_can_work_on",
    "check_canned_body",
    "check_message_body",
    "check_phone",
    "do_agent_reply",
    "do_create_contact",
    "do_delete_canned_response",
    "do_identify_contact",
    "do_mark_read",
    "do_merge_contacts",
    "do_open_interaction",
    "do_post_message",
    "do_record_csat",
    "do_resolve",
    "do_save_canned_response",
    "do_store_attachment",
    "do_transfer",
    "do_update_contact",
    "interaction_group",
    "message_payload",
    "render_canned",
]
