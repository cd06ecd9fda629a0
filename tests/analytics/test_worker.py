"""The analysis runs in a real Celery worker (analytics' own queue) after the interaction is resolved;
one at a time per interaction: a task that finds another running does nothing, and the running one
analyses again for the request it missed; the result replaces the previous."""

from __future__ import annotations

import threading
from typing import Any

from django.db import connection

from apps.accounts.models import User
from apps.analytics.actions import do_save_topic, do_store_analysis
from apps.analytics.analysis import analyse
from apps.analytics.models import InteractionAnalysis, TopicHit
from apps.analytics.runs import run_once_at_a_time, want
from apps.analytics.tasks import analyse_interaction, request_analysis
from apps.core.tasks import enqueue_in_tenant
from apps.inbox.actions import do_resolve
from apps.inbox.models import Interaction
from tests.conftest import PASSWORD, CeleryWorker, TenantInfo
from tests.processes import wait_until

from .conftest import chat


def test_resolving_a_chat_analyses_it_in_the_worker(tenant_a: TenantInfo, analytics_worker: CeleryWorker) -> None:
    connection.set_schema(tenant_a.schema_name)
    sue = User.objects.create_user(email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor")
    do_save_topic(sue, name="Refunds", phrases=["refund"])
    interaction = chat(
        [("customer", "The order is late and nobody answers, this is awful."), ("agent", "I will refund you now."),
         ("customer", "Thank you, that is great!")],
    )  # fmt: skip
    do_resolve(interaction, sue)
    wait_until(
        lambda: InteractionAnalysis.objects.filter(interaction=interaction).exists(), 90, "the worker's analysis"
    )
    analysis = InteractionAnalysis.objects.get(interaction=interaction)
    assert analysis.generation == 1 and analysis.end_label == "positive" and analysis.customer_label
    assert [t["name"] for t in analysis.topics] == ["Refunds"]
    assert TopicHit.objects.filter(analysis=analysis).count() == 1
    # Asked again (the recording of a call would): the analysis is replaced, not added to.
    request_analysis(interaction.pk)
    wait_until(lambda: InteractionAnalysis.objects.get(pk=analysis.pk).generation == 2, 60, "the second run")
    assert InteractionAnalysis.objects.filter(interaction=interaction).count() == 1
    assert TopicHit.objects.filter(analysis__interaction=interaction).count() == 1


def test_a_task_that_finds_one_running_does_nothing_and_none_is_lost(
    tenant_a: TenantInfo, analytics_worker: CeleryWorker
) -> None:
    connection.set_schema(tenant_a.schema_name)
    schema = tenant_a.schema_name
    interaction = chat([("customer", "Where is my parcel? Terrible.")], status=Interaction.Status.RESOLVED)
    started, release = threading.Event(), threading.Event()
    runs: list[int] = []

    def holder() -> None:
        # Stands in for a task already analysing: its first run waits until the worker's task has come and gone.
        connection.set_schema(schema)

        def work() -> None:
            runs.append(len(runs) + 1)
            if len(runs) == 1:
                started.set()
                assert release.wait(60)
            do_store_analysis(interaction, analyse(interaction))

        try:
            run_once_at_a_time(schema, interaction.pk, work)
        finally:
            connection.close()

    want(schema, interaction.pk)
    thread = threading.Thread(target=holder)
    thread.start()
    assert started.wait(30)
    # The request arrives while the holder runs: the worker's task finds the interaction taken.
    want(schema, interaction.pk)
    result = enqueue_in_tenant(schema, analyse_interaction, interaction.pk).get(timeout=60)
    assert result["runs"] == 0 and result["cost"] is None
    assert not InteractionAnalysis.objects.filter(interaction=interaction).exists()
    release.set()
    thread.join(60)
    # The holder saw the request it had not served and ran once more: two runs, one row, generation 2.
    assert runs == [1, 2]
    analysis = InteractionAnalysis.objects.get(interaction=interaction)
    assert analysis.generation == 2
    # Nothing left to do: a later task runs once.
    assert enqueue_in_tenant(schema, analyse_interaction, interaction.pk).get(timeout=60)["runs"] == 1


def test_a_passing_database_error_is_retried(tenant_a: TenantInfo, monkeypatch: Any) -> None:
    from django.db import OperationalError

    from apps.analytics import analysis

    connection.set_schema(tenant_a.schema_name)
    interaction = chat([("customer", "Thanks, all good!")], status=Interaction.Status.RESOLVED)
    real, calls = analysis.analyse, []

    def flaky(i: Interaction) -> Any:
        calls.append(i.pk)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(i)

    monkeypatch.setattr(analysis, "analyse", flaky)
    monkeypatch.setattr(analyse_interaction, "retry_backoff", False)  # retried at once, here, eagerly
    result = analyse_interaction.apply(args=[interaction.pk]).get()
    assert calls == [interaction.pk, interaction.pk] and result["runs"] == 1
    assert InteractionAnalysis.objects.get(interaction=interaction).generation == 1
