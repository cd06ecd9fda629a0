"""Calls end to end through the real sockets (daphne), the real routing and the real media worker,
with in-process aiortc peers standing in for the customer's and the agent's browsers."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

import av
import pytest
from aiortc import RTCSessionDescription
from django.core.files.storage import default_storage
from django.db import connection

from apps.core.redis import get_redis
from apps.inbox.models import Interaction, Message
from apps.media.actions import call_group
from apps.media.engine.leases import call_key
from apps.media.models import Call, CallEvent, Recording
from apps.routing.models import Queue
from tests.conftest import WebServer
from tests.inbox.conftest import ContactCenter, make_center
from tests.processes import wait_until
from tests.ws import run_async

from .callers import SHOP, agent_socket, customer_socket, login_cookie, media_leg, new_pc, p2p
from .peers import frames_from, grows, listen, wait_for, wait_for_stats, worker_stops_sending


@pytest.fixture
def cc() -> ContactCenter:
    center = make_center(SHOP, agents=3)
    connection.set_schema(center.info.schema_name)
    Queue.objects.filter(pk=center.queue.pk).update(record_calls=True)
    connection.set_schema_to_public()
    return center


def agent_party_of(cc: ContactCenter, n: int = 0) -> str:
    return f"agent-{cc.agents[n].user_id}"


async def ring_and_answer(agent: Any, customer: Any, call_id: str) -> dict[str, Any]:
    offer = await agent.wait("offer.created")
    await agent.send(type="offer.accept", offer_id=offer["offer"]["id"])
    accepted = await agent.wait("offer.accept.ok")
    assert accepted["call"]["call_id"] == call_id and accepted["call"]["state"] == "active"
    answered = await customer.wait("call.updated", change="answered")
    await agent.send(type="call.join", call_id=call_id)
    joined = await agent.wait("call.joined", call_id=call_id)
    assert joined["role"] == "agent" and joined["media_leg"] is True
    return {"offer": offer, "answered": answered, "joined": joined}


def test_a_recorded_call_is_routed_answered_held_resumed_and_ended_with_its_recording(
    web_server: WebServer, media_worker: Any, cc: ContactCenter
) -> None:
    cookie = login_cookie(cc, 1)

    async def scenario() -> dict[str, Any]:
        agent = await agent_socket(web_server, cc, cookie)
        customer = await customer_socket(web_server, cc)
        asked = time.monotonic()
        await customer.send(type="call.start", mode="audio")
        joined = await customer.wait("call.joined")
        t0 = time.monotonic()
        call_id = joined["call_id"]
        schema = cc.info.schema_name
        assert joined["party"] == "customer" and joined["call"]["recorded"] is True
        assert joined["queue"]["routing_status"] in {"queued", "offered"}
        c_media, c_worker = await media_leg(customer, call_id)
        # While nobody has answered, the worker plays ringback to the customer.
        await grows(c_worker.received, "audio", 25, "ringback while nobody has answered")
        steps = await ring_and_answer(agent, customer, call_id)
        assert steps["offer"]["offer"]["channel"] == "voice"
        a_media, _ = await media_leg(agent, call_id)
        (c_pc, c_heard), (a_pc, a_heard) = await p2p(
            agent, f"agent-{cc.agents[0].user_id}", customer, "customer", call_id
        )
        # Both parties hear each other directly, and the ringback stopped.
        await grows(c_heard.received, "audio", 25, "the customer hears the agent")
        await grows(a_heard.received, "audio", 25, "the agent hears the customer")
        await worker_stops_sending(schema, call_id, "customer", c_worker.received, "ringback stops on answer")
        # A malformed SDP and a bad candidate get error frames; the call goes on.
        await customer.send(
            type="call.signal",
            call_id=call_id,
            to=f"agent-{cc.agents[0].user_id}",
            description={"type": "offer", "sdp": "v=0\r\nthis is not sdp"},
        )
        bad_sdp = await customer.wait("error", call_id=call_id)
        await customer.send(
            type="call.signal",
            call_id=call_id,
            to=f"agent-{cc.agents[0].user_id}",
            candidate={"candidate": "candidate:garbage", "sdpMid": "0"},
        )
        bad_candidate = await customer.wait("error", call_id=call_id)
        await grows(c_heard.received, "audio", 10, "the call goes on after the bad signals")
        # Hold: the customer hears hold music from the worker (40 frames: 0.8 s of it); resume stops it.
        await agent.send(type="call.hold", call_id=call_id)
        held = await customer.wait("call.updated", change="held")
        await grows(c_worker.received, "audio", 40, "hold music at the customer")
        await agent.send(type="call.resume", call_id=call_id)
        await customer.wait("call.updated", change="resumed")
        resumed_at = time.monotonic()
        await worker_stops_sending(schema, call_id, "customer", c_worker.received, "hold music stops on resume")
        await agent.send(type="call.mute", call_id=call_id, muted=True)
        muted = await customer.wait("call.updated", change="muted")
        # The call goes on (the agent's leg sends in real time) before the customer hangs up.
        await wait_for_stats(
            schema, call_id, lambda s: frames_from(s, "agent") >= 175, "3.5 s of the agent's audio at the worker"
        )
        hangup = time.monotonic()
        await customer.send(type="call.hangup", call_id=call_id)
        ended = await agent.wait("call.updated", change="ended")
        ended_at = time.monotonic()
        for pc in (c_media, a_media, c_pc, a_pc):
            await pc.close()
        await customer.close()
        await agent.close()
        return {
            "call_id": call_id,
            # The recording spans the call: from when the customer knew it started to the hang-up
            # (less what is in flight), at most from the request to the end everyone was told of.
            "span": (hangup - t0 - 0.5, ended_at - asked + 0.5),
            # Talk the test saw after the hold alone (talk time leaves the hold out), and the whole call.
            "talk_after_resume": hangup - resumed_at,
            "whole_call": ended_at - asked,
            "bad_sdp": bad_sdp,
            "bad_candidate": bad_candidate,
            "held": held,
            "muted": muted,
            "ended": ended,
        }

    out = run_async(scenario())
    assert out["bad_sdp"]["code"] == "invalid_sdp" and "line 2" in out["bad_sdp"]["message"]
    assert out["bad_candidate"]["code"] == "invalid_candidate"
    assert out["held"]["call"]["state"] == "held"
    agent_party = f"agent-{cc.agents[0].user_id}"
    assert [p["muted"] for p in out["muted"]["call"]["parties"] if p["party"] == agent_party] == [True]
    assert out["ended"]["call"]["state"] == "ended" and out["ended"]["call"]["ended_by"] == "customer"

    connection.set_schema(cc.info.schema_name)
    call = Call.objects.get(call_id=out["call_id"])
    assert call.interaction.channel == "voice" and call.ended_by == "customer"
    kinds = list(CallEvent.objects.filter(call=call).values_list("kind", flat=True))
    assert kinds[0] == "offered" and kinds[-1] == "ended"
    for kind in ("ringing", "answered", "held", "resumed", "muted"):
        assert kind in kinds, kinds
    assert call.talk_seconds is not None and call.hold_seconds > 0.5
    ended = CallEvent.objects.get(call=call, kind="ended")
    # The server's talk time holds at least the talk after the resume (less what is in flight) and at
    # most the whole call; measured against the test's own clock, not a constant: under load the
    # same frames take longer.
    assert out["talk_after_resume"] > 0.5
    assert out["talk_after_resume"] - 0.5 <= ended.data["talk_seconds"] <= out["whole_call"] + 0.5, out
    assert ended.data["hold_seconds"] > 0.5
    interaction = Interaction.objects.get(pk=call.interaction_id)
    # The agent's capacity is free again: the interaction completes right after the end is committed
    # (and told), in a transaction of its own.
    wait_until(
        lambda: Interaction.objects.get(pk=call.interaction_id).routing_status == "completed",
        10,
        "the interaction to complete after the call ended",
    )
    assert interaction.messages.filter(kind=Message.Kind.SYSTEM, body__startswith="Call ended after").exists()
    # The recording: both parties' audio, as long as the call.
    wait_until(lambda: Recording.objects.filter(call_id=call.call_id).exists(), 30, "the recording to be stored")
    recording = Recording.objects.get(call_id=call.call_id)
    shortest, longest = out["span"]
    assert shortest <= recording.duration <= longest, (recording.duration, out["span"])
    with av.open(default_storage.path(recording.file.name)) as container:
        titles = sorted((s.type, s.metadata.get("title", "")) for s in container.streams)
    assert titles == [("audio", "agent"), ("audio", "customer")]


def test_other_calls_and_other_tenants_cannot_signal_or_join(
    web_server: WebServer, media_worker: Any, cc: ContactCenter
) -> None:
    other = make_center(SHOP, agents=1)
    cookie1, cookie2, cookie_other = login_cookie(cc, 1), login_cookie(cc, 2), login_cookie(other, 1)

    async def scenario() -> dict[str, Any]:
        agent = await agent_socket(web_server, cc, cookie1)
        bystander = await agent_socket(web_server, cc, cookie2, available=False)
        foreign = await agent_socket(web_server, other, cookie_other, available=False)
        customer = await customer_socket(web_server, cc)
        stranger = await customer_socket(web_server, cc)  # another visitor of the same shop
        await customer.send(type="call.start", mode="video")
        call_id = (await customer.wait("call.joined"))["call_id"]
        await ring_and_answer(agent, customer, call_id)
        agent_party = f"agent-{cc.agents[0].user_id}"
        sdp = {
            "type": "offer",
            "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
        }
        out: dict[str, Any] = {}
        for name, sock in (("bystander", bystander), ("foreign", foreign), ("stranger", stranger)):
            await sock.send(type="call.signal", call_id=call_id, to="customer", description=sdp)
            out[f"{name}_signal"] = await sock.wait("error", call_id=call_id)
            await sock.send(type="call.media", call_id=call_id, description=sdp)
            out[f"{name}_media"] = await sock.wait("error", call_id=call_id)
        for name, sock in (("bystander", bystander), ("foreign", foreign)):
            await sock.send(type="call.join", call_id=call_id)
            out[f"{name}_join"] = await sock.wait("error", call_id=call_id)
        # A party may not address someone outside the call either.
        await agent.send(type="call.signal", call_id=call_id, to=f"agent-{cc.agents[1].user_id}", description=sdp)
        out["to_outsider"] = await agent.wait("error", call_id=call_id)
        # Every refusal above was answered before this: a signal from the call's agent, relayed after
        # them, is the first and only one the customer gets.
        candidate = {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host", "sdpMid": "0"}
        await agent.send(type="call.signal", call_id=call_id, to="customer", candidate=candidate)
        out["customer_signals"] = [await customer.wait("call.signal", call_id=call_id)]
        out["customer_signals"] += customer.taken("call.signal")
        out["customer_still_in"] = agent_party
        await customer.send(type="call.hangup", call_id=call_id)
        await agent.wait("call.updated", change="ended")
        for sock in (agent, bystander, foreign, customer, stranger):
            await sock.close()
        return out

    out = run_async(scenario())
    for name in ("bystander", "foreign", "stranger"):
        assert out[f"{name}_signal"]["code"] == "not_in_call", out
        assert out[f"{name}_media"]["code"] == "not_in_call", out
    assert out["bystander_join"]["code"] == "forbidden"
    assert out["foreign_join"]["code"] == "not_found"  # the call does not exist in the other tenant
    assert out["to_outsider"]["code"] == "unknown_party"
    # Nothing but the agent's own signal reached the customer.
    assert [(f["from"], "candidate" in f) for f in out["customer_signals"]] == [(agent_party_of(cc), True)]


def test_conference_warm_and_blind_transfer(web_server: WebServer, media_worker: Any, cc: ContactCenter) -> None:
    cookies = [login_cookie(cc, n) for n in (1, 2, 3)]

    async def scenario() -> dict[str, Any]:
        alex = await agent_socket(web_server, cc, cookies[0])
        bea = await agent_socket(web_server, cc, cookies[1], available=False)
        customer = await customer_socket(web_server, cc)
        await customer.send(type="call.start", mode="oneway")
        call_id = (await customer.wait("call.joined"))["call_id"]
        c_media, c_worker = await media_leg(customer, call_id, video=True)
        await ring_and_answer(alex, customer, call_id)
        alex_party, bea_party = f"agent-{cc.agents[0].user_id}", f"agent-{cc.agents[1].user_id}"
        # Three-way: Alex invites Bea (an expert); her desktop rings; she joins.
        await alex.send(type="call.invite", call_id=call_id, user_id=cc.agents[1].user_id)
        await alex.wait("call.invite.ok")
        invited = await bea.wait("call.invited")
        await bea.send(type="call.join", call_id=call_id)
        bea_joined = await bea.wait("call.joined", call_id=call_id)
        (b_pc, b_heard), (c_pc, _) = await p2p(bea, bea_party, customer, "customer", call_id)
        await grows(b_heard.received, "audio", 15, "the expert hears the customer")
        # Warm transfer: Alex hands the call to Bea and leaves.
        await alex.send(type="call.transfer", call_id=call_id, to_agent_id=cc.agents[1].user_id)
        await alex.wait("call.transfer.ok")
        handed = await customer.wait("call.updated", change="transferred")
        await alex.send(type="agent.set_state", state="offline")  # Alex signs off
        await alex.wait("agent.state.ok")
        await alex.close()
        # Blind transfer: Bea sends the call back to the queue; the customer hears hold music and
        # the next available agent (Cy) is offered it.
        cy = await agent_socket(web_server, cc, cookies[2])
        await bea.send(type="call.transfer", call_id=call_id, to_queue_id=cc.queue.pk, note="Needs billing")
        await bea.wait("call.transfer.ok")
        requeued = await customer.wait("call.updated", change="transferred")
        await grows(c_worker.received, "audio", 30, "hold music while the call waits in the queue again")
        offer = await cy.wait("offer.created", timeout=15)
        await cy.send(type="offer.accept", offer_id=offer["offer"]["id"])
        await cy.wait("offer.accept.ok")
        await cy.send(type="call.join", call_id=call_id)
        await cy.wait("call.joined", call_id=call_id)
        await cy.send(type="call.hangup", call_id=call_id)
        ended = await customer.wait("call.updated", change="ended")
        for pc in (c_media, b_pc, c_pc):
            await pc.close()
        for sock in (bea, cy, customer):
            await sock.close()
        return {
            "invited": invited,
            "bea_joined": bea_joined,
            "handed": handed,
            "requeued": requeued,
            "ended": ended,
            "parties": (alex_party, bea_party),
        }

    out = run_async(scenario())
    alex_party, bea_party = out["parties"]
    assert out["invited"]["by"] == "Alex Agent"
    assert {p["party"] for p in out["bea_joined"]["call"]["parties"]} == {"customer", alex_party, bea_party}
    assert out["bea_joined"]["role"] == "guest" and out["bea_joined"]["media_leg"] is False
    assert {p["party"]: p["role"] for p in out["handed"]["call"]["parties"]} == {
        "customer": "customer",
        bea_party: "agent",
    }
    assert out["requeued"]["call"]["state"] == "queued"
    assert out["ended"]["call"]["ended_by"] == f"agent-{cc.agents[2].user_id}"
    connection.set_schema(cc.info.schema_name)
    call = Call.objects.get()
    assert call.mode == "oneway" and call.interaction.channel == "video"
    transfers = [e.data["how"] for e in CallEvent.objects.filter(call=call, kind="transferred")]
    assert transfers == ["warm", "blind"]
    assert call.interaction.assignee_id == cc.agents[2].user_id
    notes = list(call.interaction.messages.filter(kind="note").values_list("body", flat=True))
    assert "Needs billing" in notes


def test_media_worker_loss_ends_the_call_cleanly(web_server: WebServer, media_worker: Any, cc: ContactCenter) -> None:
    cookie = login_cookie(cc, 1)

    async def scenario() -> dict[str, Any]:
        agent = await agent_socket(web_server, cc, cookie)
        customer = await customer_socket(web_server, cc)
        await customer.send(type="call.start", mode="audio")
        call_id = (await customer.wait("call.joined"))["call_id"]
        await ring_and_answer(agent, customer, call_id)
        # What a surviving worker publishes when the call's worker dies (tests/media/test_engine.py
        # proves the publishing): every party hears it and the call ends.
        layer, _ = await listen(call_group(cc.info.schema_name, call_id))
        await layer.group_send(
            call_group(cc.info.schema_name, call_id),
            {
                "type": "event.relay",
                "event": {"type": "call.media_lost", "call_id": call_id, "reason": "media_worker_died"},
            },
        )
        lost_c = await customer.wait("call.media_lost")
        lost_a = await agent.wait("call.media_lost")
        ended = await customer.wait("call.updated", change="ended")
        await customer.close()
        await agent.close()
        return {"lost": (lost_c, lost_a), "ended": ended}

    out = run_async(scenario())
    assert out["ended"]["call"]["ended_by"] == "system" and out["ended"]["call"]["end_reason"] == "media_lost"
    connection.set_schema(cc.info.schema_name)
    call = Call.objects.get()
    assert call.state == "ended"
    wait_until(
        lambda: Interaction.objects.get(pk=call.interaction_id).routing_status == "completed",
        10,
        "the interaction to complete after the call ended",
    )


def test_a_customer_who_hangs_up_while_waiting_abandons_the_queue(
    web_server: WebServer, media_worker: Any, cc: ContactCenter
) -> None:
    async def scenario() -> None:
        customer = await customer_socket(web_server, cc)
        await customer.send(type="call.start", mode="audio")
        call_id = (await customer.wait("call.joined"))["call_id"]
        await customer.send(type="call.start", mode="audio")
        twice = await customer.wait("error")
        assert twice["code"] == "call_in_progress"
        await customer.send(type="call.start", mode="hologram")
        assert (await customer.wait("error"))["fields"] == {"mode": ["Choose one of: audio, video, oneway."]}
        await customer.send(type="call.hangup", call_id=call_id)
        await customer.wait("call.updated", change="ended")
        await customer.close()

    run_async(scenario())
    connection.set_schema(cc.info.schema_name)
    call = Call.objects.get()
    assert call.ended_by == "customer" and call.answered_at is None
    assert call.interaction.routing_status == "abandoned"


def test_a_running_chat_is_upgraded_to_a_call_with_the_same_case_and_agent(
    web_server: WebServer, media_worker: Any, cc: ContactCenter
) -> None:
    cookie = login_cookie(cc, 1)

    async def scenario() -> str:
        agent = await agent_socket(web_server, cc, cookie)
        customer = await customer_socket(web_server, cc)
        await customer.send(type="message.send", body="Can I show you the damage?")
        await customer.wait("conversation.started")
        offer = await agent.wait("offer.created")
        await agent.send(type="offer.accept", offer_id=offer["offer"]["id"])
        assert "call" not in await agent.wait("offer.accept.ok")  # a chat: no call panel
        await customer.send(type="call.start", mode="video")
        call_id = (await customer.wait("call.joined"))["call_id"]
        # The call goes to the chat's agent first (preferred agent), who may take both.
        second = await agent.wait("offer.created")
        assert second["offer"]["channel"] == "video"
        await customer.send(type="call.hangup", call_id=call_id)
        await customer.wait("call.updated", change="ended")
        await customer.close()
        await agent.close()
        return call_id

    call_id = run_async(scenario())
    connection.set_schema(cc.info.schema_name)
    call = Call.objects.select_related("interaction", "from_interaction").get(call_id=call_id)
    chat = call.from_interaction
    assert chat is not None and chat.channel == "chat"
    assert call.interaction.case_id == chat.case_id and call.interaction.contact_id == chat.contact_id
    assert call.interaction.preferred_agent_id == cc.agents[0].pk
    assert chat.messages.filter(kind="system", body="The customer started a video call.").exists()


def test_the_parties_call_never_waits_behind_a_slow_media_worker(
    web_server: WebServer, media_worker: Any, cc: ContactCenter
) -> None:
    """A media worker slow to answer (starting, busy, on a loaded machine; here: stopped with SIGSTOP)
    holds up only what is its own. While it sleeps the agent answers (`offer.accept.ok`), the agent's
    signals reach the customer and the customer's reach the agent; the worker's answer to the
    agent's leg arrives once it wakes. (A socket handles one frame or event at a time: awaiting the
    worker there held the whole call behind it, for up to the request's 10 s timeout each time.)"""
    cookie = login_cookie(cc, 1)
    worker = media_worker.proc.popen.pid
    candidate = {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host", "sdpMid": "0"}

    async def asleep(window: float, steps: Any, what: str) -> Any:
        """Run `steps` while the worker is stopped; they must be done within `window` seconds (at most
        2: the call's lease, 5 s renewed every ~2 s, outlives it)."""
        os.kill(worker, signal.SIGSTOP)
        try:
            return await asyncio.wait_for(steps, window)
        except TimeoutError:
            raise AssertionError(f"{what}: not within {window}s while the media worker was stopped") from None
        finally:
            os.kill(worker, signal.SIGCONT)

    async def lease_renewed(call_id: str) -> None:
        key = call_key(cc.info.schema_name, call_id)
        await wait_for(lambda: get_redis().pttl(key) > 4000, 15, "the worker to renew the call's lease")

    async def scenario() -> dict[str, Any]:
        agent = await agent_socket(web_server, cc, cookie)
        customer = await customer_socket(web_server, cc)
        await customer.send(type="call.start", mode="audio")
        call_id = (await customer.wait("call.joined"))["call_id"]
        offer = await agent.wait("offer.created")
        await lease_renewed(call_id)

        async def answer() -> dict[str, Any]:
            await agent.send(type="offer.accept", offer_id=offer["offer"]["id"])
            return await agent.wait("offer.accept.ok")

        out: dict[str, Any] = {"accepted": await asleep(2.0, answer(), "the agent's answer confirmed")}
        await agent.send(type="call.join", call_id=call_id)
        await agent.wait("call.joined", call_id=call_id)
        leg, _ = new_pc()
        await leg.setLocalDescription(await leg.createOffer())
        await lease_renewed(call_id)

        async def signals() -> None:
            await agent.send(
                type="call.media", call_id=call_id, description={"type": "offer", "sdp": leg.localDescription.sdp}
            )
            await agent.send(type="call.signal", call_id=call_id, to="customer", candidate=candidate)
            out["to_customer"] = await customer.wait("call.signal", call_id=call_id)
            await customer.send(type="call.signal", call_id=call_id, to=agent_party_of(cc), candidate=candidate)
            out["to_agent"] = await agent.wait("call.signal", call_id=call_id)
            out["answered_meanwhile"] = agent.taken("call.media.answer")

        await asleep(2.0, signals(), "signals both ways between the agent and the customer")
        # The worker's answer was not lost: the agent's leg connects and the worker hears the agent.
        reply = await agent.wait("call.media.answer", call_id=call_id, timeout=30)
        await leg.setRemoteDescription(RTCSessionDescription(**reply["description"]))
        await wait_for_stats(
            cc.info.schema_name, call_id, lambda s: frames_from(s, "agent") >= 25, "the agent's leg at the worker"
        )
        await customer.send(type="call.hangup", call_id=call_id)
        await agent.wait("call.updated", change="ended")
        await leg.close()
        await customer.close()
        await agent.close()
        return out

    out = run_async(scenario())
    assert out["accepted"]["call"]["state"] == "active"
    assert out["to_customer"]["from"] == agent_party_of(cc) and out["to_agent"]["from"] == "customer"
    assert out["answered_meanwhile"] == []  # the worker was still stopped: the signals did not wait for it
