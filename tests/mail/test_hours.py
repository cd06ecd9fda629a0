"""Out of hours (issue 16): mail to a queue that is closed is kept for the team and acknowledged with
the mailbox's out-of-hours text instead of the usual one."""

from __future__ import annotations

from django.db import connection

from apps.email.actions import do_save_mailbox, mailbox_for
from apps.inbox.models import Interaction
from apps.routing.models import BusinessHours, Queue
from tests.conftest import TenantInfo
from tests.mail import fixtures
from tests.mail.conftest import Receiver, Sink
from tests.mail.test_mail_flow import settle


def test_a_closed_queue_acknowledges_out_of_hours(tenant_a: TenantInfo, receiver: Receiver, sink: Sink) -> None:
    connection.set_schema(tenant_a.schema_name)
    never = BusinessHours.objects.create(name="Never open", timezone="UTC", weekly={})
    Queue.objects.filter(name="Support").update(business_hours=never)
    do_save_mailbox(
        tenant_a.owner, {"out_of_hours_body": "We are closed now and answer from 9:00."}, mailbox_for(["support"]).pk
    )
    connection.set_schema_to_public()
    domain = f"{tenant_a.subdomain}.mail.localhost"
    late = fixtures.first_mail(f"support@{domain}", message_id="late-1@example.com").replace(
        b"wu.lei@example.com", b"night.owl@example.com"
    )
    receiver.send(late, [f"support@{domain}"], sender="night.owl@example.com")
    settle(tenant_a.schema_name)
    assert Interaction.objects.get(channel="email").routing_status == "queued"  # kept for the team
    [ack] = sink.to("night.owl@example.com", sent_by=domain)
    assert ack.get_content().strip() == "We are closed now and answer from 9:00."
    assert ack["Auto-Submitted"] == "auto-replied"
