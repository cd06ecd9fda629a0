"""Deleting a queue that still has interactions or widgets answers with a clear error (issue 11,
section 5; it was a 500 from on_delete=PROTECT), in the API and in the administration."""

from __future__ import annotations

from django.db import connection
from django.test import Client

from apps.accounts.models import AuditEntry
from apps.inbox.models import Interaction
from apps.routing.models import Queue
from apps.widget.models import WidgetKey
from tests.conftest import PASSWORD, TenantInfo
from tests.routing.test_apis import api


def test_the_api_refuses_to_delete_a_queue_in_use_and_says_why(tenant: TenantInfo) -> None:
    sales = Queue.objects.create(name="Sales")
    Interaction.objects.create(channel="chat", queue=sales, subject="Quote")
    Interaction.objects.create(channel="chat", queue=sales, subject="Another")
    WidgetKey.objects.create(queue=sales)
    owner = api(tenant)
    response = owner.delete(f"/api/v1/queues/{sales.pk}")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "queue_in_use"
    assert error["message"] == (
        "The queue “Sales” cannot be deleted: it still has 2 interactions, 1 chat widget. "
        "Move them to another queue (or delete them) first."
    )
    connection.set_schema(tenant.schema_name)
    assert Queue.objects.filter(pk=sales.pk).exists()
    # Once nothing uses it, it goes, and the audit log says who deleted it.
    Interaction.objects.filter(queue=sales).delete()
    WidgetKey.objects.filter(queue=sales).delete()
    assert owner.delete(f"/api/v1/queues/{sales.pk}").status_code == 204
    connection.set_schema(tenant.schema_name)
    assert not Queue.objects.filter(pk=sales.pk).exists()
    entry = AuditEntry.objects.get(verb="queue.deleted")
    assert (entry.actor_id, entry.object_id, entry.data) == (tenant.owner.pk, str(sales.pk), {"name": "Sales"})


def test_the_administration_refuses_to_delete_a_queue_in_use(tenant: TenantInfo) -> None:
    sales = Queue.objects.create(name="Sales")
    Interaction.objects.create(channel="chat", queue=sales, subject="Quote")
    connection.set_schema_to_public()
    admin = Client(HTTP_HOST=tenant.host)
    assert admin.post("/login/", {"username": tenant.email, "password": PASSWORD}).status_code == 302
    page = admin.get(f"/admin/routing/queue/{sales.pk}/delete/")
    assert page.status_code == 200 and "would require deleting the following protected related objects" in (
        page.content.decode()
    )
    response = admin.post(f"/admin/routing/queue/{sales.pk}/delete/", {"post": "yes"})
    assert response.status_code == 200
    bulk = admin.post(
        "/admin/routing/queue/", {"action": "delete_selected", "_selected_action": [sales.pk], "post": "yes"}
    )
    assert bulk.status_code == 200
    connection.set_schema(tenant.schema_name)
    assert Queue.objects.filter(pk=sales.pk).exists()
