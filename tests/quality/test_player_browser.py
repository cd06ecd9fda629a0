"""The evaluation page's recording player in Chromium (issue 15): each party's track plays together,
one party can be muted, who spoke when (the analysis of the recording) is drawn as lanes with the
comments' marks, and a comment's time or a click on a lane plays from that moment; agents reading their
evaluation get no recording."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.agents.actions import ensure_agent_profile
from apps.analytics.actions import do_store_analysis
from apps.analytics.analysis import analyse
from apps.inbox.models import Interaction
from apps.media.engine.recording import probe
from apps.media.models import Call, Recording
from apps.quality.actions import do_create_form, do_save_evaluation, do_start_evaluation
from tests.conftest import PASSWORD, TenantInfo, WebServer, signed_in_page
from tests.media.synth import two_party_webm
from tests.quality.test_evaluations import FORM

POSITION = "Number(document.querySelector('.track-player').dataset.position || 0)"


def test_the_recording_player(browser: Any, web_server: WebServer, tenant_a: TenantInfo) -> None:
    connection.set_schema(tenant_a.schema_name)
    sue = User.objects.create_user(email=f"sue@{tenant_a.subdomain}.test", password=PASSWORD, role="supervisor")
    ann = ensure_agent_profile(
        User.objects.create_user(email=f"ann@{tenant_a.subdomain}.test", password=PASSWORD, role="agent")
    )
    call_interaction = Interaction.objects.create(channel="voice", assigned_agent=ann, assignee=ann.user)
    call = Call.objects.create(call_id="c-player", interaction=call_interaction, recorded=True, state="ended")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "call.webm"
        # The customer speaks 0-3 s and 6-9 s, the agent 3.5-6.5 s: both at once for half a second.
        two_party_webm(path, {"customer": [(0, 3), (6, 9)], "agent": [(3.5, 6.5)]}, 10)
        probed = probe(path)
        name = default_storage.save(
            f"{tenant_a.schema_name}/recordings/{call.call_id}.webm", ContentFile(path.read_bytes())
        )
    Recording.objects.create(
        call_id=call.call_id, file=name, duration=probed.duration, size=probed.size, streams=probed.streams
    )
    do_store_analysis(call_interaction, analyse(call_interaction))
    form = do_create_form(sue, "Calls", FORM)
    evaluation = do_start_evaluation(sue, interaction_id=call_interaction.pk, form_id=form.pk)
    do_save_evaluation(sue, evaluation.pk, comments=[{"at_seconds": 4.0, "text": "Interrupted the customer"}])
    connection.set_schema_to_public()

    page = signed_in_page(browser, web_server, tenant_a, f"sue@{tenant_a.subdomain}.test")
    page.goto(web_server.url(f"/quality/evaluations/{evaluation.pk}/", tenant_a.subdomain))
    player = page.get_by_test_id("player")
    lanes = player.locator(".lane")
    expect(lanes.locator("button[data-act=mute]")).to_have_text(["Customer", "Agent"])
    # Who spoke when: two turns of the customer, one of the agent, and the overlap.
    expect(player.locator('.lane[data-party="customer"] .speech')).to_have_count(2)
    expect(player.locator('.lane[data-party="agent"] .speech')).to_have_count(1)
    expect(player.locator('.lane[data-party="overtalk"] .speech')).to_have_count(1)
    agent_turn = float(player.locator('.lane[data-party="agent"] .speech').get_attribute("data-start") or -1)
    assert 3.2 <= agent_turn <= 3.9, agent_turn
    expect(page.get_by_test_id("call-figures")).to_contain_text("Agent talk / customer talk: 0.5")
    expect(player.locator('.lane[data-party="agent"] .mark')).to_have_count(1)

    # Playing moves every track; the agent muted alone.
    player.get_by_role("button", name="Play").click()
    expect(player).to_have_attribute("data-state", "playing")
    page.wait_for_function(f"{POSITION} > 0.5", timeout=10_000)
    player.get_by_role("button", name="Agent").click()
    expect(player.get_by_role("button", name="Agent")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(
        "[...document.querySelectorAll('.track-player audio')].map(a => [a.dataset.party, a.muted])"
    ) == [
        ["customer", False],
        ["agent", True],
    ]
    # The comment's time plays from there, every track in step.
    page.get_by_role("button", name="Play from here").click()
    page.wait_for_function(f"{POSITION} >= 4 && {POSITION} < 6", timeout=10_000)
    spread = page.evaluate(
        "(() => { const t = [...document.querySelectorAll('.track-player audio')].map(a => a.currentTime);"
        " return Math.max(...t) - Math.min(...t); })()"
    )
    assert spread < 0.3, spread
    player.get_by_role("button", name="Pause").click()
    expect(player).to_have_attribute("data-state", "paused")
    # A new comment takes the player's time.
    page.get_by_label("Add a comment").fill("Good recovery")
    page.get_by_test_id("evaluation-form").get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_have_text("Draft saved.")
    expect(page.get_by_test_id("comments").locator("li").nth(1)).to_contain_text("Good recovery")
    shown = page.get_by_test_id("comments").locator("li").nth(1).locator("button").inner_text()
    assert 4 <= float(shown.strip("▶ s")) < 6.5, shown
    page.screenshot(path="test-artifacts/quality-player.png", full_page=True)
    page.context.close()
