"""Agents: the routing profile of a tenant user (skills, languages, capacity) and live presence.

Load counters live on the profile row so that the routing engine can check and take capacity in the
same statement that locks the row; they are only changed by the routing engine's SQL and by
actions holding the row lock."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CHANNELS = ("voice", "video", "chat", "email", "messaging")
CALL_CHANNELS = ("voice", "video")
DEFAULT_CAPACITY = {"voice": 1, "video": 1, "chat": 3, "email": 5, "messaging": 3}


class Channel(models.TextChoices):
    VOICE = "voice", _("Voice")
    VIDEO = "video", _("Video")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")
    # SMS and messaging apps (WhatsApp, Messenger, WeChat, Telegram): apps.messaging.
    MESSAGING = "messaging", _("Messaging")


class AgentState(models.TextChoices):
    OFFLINE = "offline", _("Offline")
    AVAILABLE = "available", _("Available")
    AWAY = "away", _("Away")
    WRAP_UP = "wrap_up", _("Wrap-up")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    # Names are used in routing expressions (skills.<name>), so they are identifiers.
    name = models.SlugField(_("name"), max_length=50, unique=True, allow_unicode=False)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReasonCode(models.Model):
    """Why an agent is away (break, lunch, training...), defined by each tenant."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    is_system = models.BooleanField(default=False, help_text=_("Set by the system, e.g. missed offers."))

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent")
    teams = models.ManyToManyField(Team, blank=True, related_name="agents")
    languages = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    location = models.CharField(_("location"), max_length=100, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # {skill name: proficiency}, kept in step with AgentSkill by the actions; read by the router.
    skill_levels = models.JSONField(default=dict, blank=True, editable=False)

    capacity_voice = models.PositiveSmallIntegerField(default=DEFAULT_CAPACITY["voice"])
    capacity_video = models.PositiveSmallIntegerField(default=DEFAULT_CAPACITY["video"])
    capacity_chat = models.PositiveSmallIntegerField(default=DEFAULT_CAPACITY["chat"])
    capacity_email = models.PositiveSmallIntegerField(default=DEFAULT_CAPACITY["email"])
    capacity_messaging = models.PositiveSmallIntegerField(default=DEFAULT_CAPACITY["messaging"])
    # Work held now: pending offers plus assigned interactions not yet ended, per channel.
    load_voice = models.PositiveSmallIntegerField(default=0, editable=False)
    load_video = models.PositiveSmallIntegerField(default=0, editable=False)
    load_chat = models.PositiveSmallIntegerField(default=0, editable=False)
    load_email = models.PositiveSmallIntegerField(default=0, editable=False)
    load_messaging = models.PositiveSmallIntegerField(default=0, editable=False)

    state = models.CharField(max_length=16, choices=AgentState.choices, default=AgentState.OFFLINE)
    state_reason = models.ForeignKey(ReasonCode, null=True, blank=True, on_delete=models.SET_NULL)
    state_since = models.DateTimeField(default=timezone.now)
    # Longest idle first: when the agent last became free of work (or available).
    idle_since = models.DateTimeField(default=timezone.now)
    missed_offers_in_row = models.PositiveSmallIntegerField(default=0, editable=False)
    wrap_up_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["state", "idle_since"], name="agent_state_idle"),
        ]

    def __str__(self) -> str:
        return str(self.user)

    def capacity(self, channel: str) -> int:
        return int(getattr(self, f"capacity_{channel}"))

    def load(self, channel: str) -> int:
        return int(getattr(self, f"load_{channel}"))


class AgentSkill(models.Model):
    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agents")
    proficiency = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["agent", "skill"], name="agent_skill_once"),
            models.CheckConstraint(
                condition=models.Q(proficiency__gte=1, proficiency__lte=5), name="proficiency_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.skill} {self.proficiency}"


class PresenceChange(models.Model):
    """Every state an agent was in, with when it started and ended (occupancy, adherence)."""

    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="presence_history")
    state = models.CharField(max_length=16, choices=AgentState.choices)
    reason = models.ForeignKey(ReasonCode, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=40, blank=True)  # "agent", "disconnect", "missed_offers", ...

    class Meta:
        ordering = ["started_at"]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["agent", "started_at"], name="presence_agent_time"),
            # Reporting finds the presence that changed since its last roll-up.
            models.Index(fields=["started_at"], name="presence_started"),
            models.Index(fields=["ended_at"], name="presence_ended"),
        ]

    def __str__(self) -> str:
        return f"{self.state} from {self.started_at:%Y-%m-%d %H:%M}"


class RoutingSettings(models.Model):
    """Per-tenant routing policy (a single row)."""

    calls_block_other_channels = models.BooleanField(_("a live call blocks new chats and emails"), default=True)
    chats_block_calls = models.BooleanField(_("open chats block new calls"), default=False)
    max_missed_offers = models.PositiveSmallIntegerField(
        _("missed offers in a row before the agent is set away"), default=3
    )
    # An agent who declined or missed an interaction is offered it again after this long, when no
    # other eligible agent took it meanwhile: a customer never waits on an idle agent for ever.
    decline_cooldown_seconds = models.PositiveIntegerField(
        _("offer again to an agent who declined, after (s)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
    )
    agents_may_pick = models.BooleanField(_("agents may pick waiting work from their queues"), default=False)

    class Meta:
        verbose_name = _("routing settings")
        verbose_name_plural = _("routing settings")

    def __str__(self) -> str:
        return "Routing settings"

    @classmethod
    def load(cls) -> RoutingSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
