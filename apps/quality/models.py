"""Quality management's rows: evaluation forms (versioned: an evaluation keeps the version it was made
with), evaluations of interactions, and the tenant's quality settings."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class QualitySettings(models.Model):
    """The tenant's quality settings (one row)."""

    dispute_days = models.PositiveSmallIntegerField(
        _("days to dispute"), default=7, help_text=_("An agent may dispute an evaluation this many days after it.")
    )

    def __str__(self) -> str:
        return "Quality settings"

    @classmethod
    def current(cls) -> QualitySettings:
        found = cls.objects.order_by("pk").first()
        return found if found is not None else cls()


class EvaluationForm(models.Model):
    name = models.CharField(_("name"), max_length=120)
    archived = models.BooleanField(default=False)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def current(self) -> FormVersion | None:
        return self.versions.order_by("-number").first()


class FormVersion(models.Model):
    """One version of a form: its sections and questions (`scoring.clean_definition`), never changed once
    made; editing a form makes the next version."""

    form = models.ForeignKey(EvaluationForm, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["form", "number"], name="formversion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.form_id} v{self.number}"


class Evaluation(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        DISPUTED = "disputed", _("Disputed")
        RESOLVED = "resolved", _("Dispute resolved")

    interaction = models.ForeignKey("inbox.Interaction", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey("agents.AgentProfile", on_delete=models.CASCADE, related_name="+")
    evaluator = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="evaluations")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    answers = models.JSONField(default=dict)  # {question id: value, or "na"}
    comments = models.JSONField(default=list)  # [{"at_seconds": 12.5 or null, "text": "..."}]
    score = models.FloatField(null=True, blank=True)  # 0-100, when submitted
    critical_failed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.TextField(blank=True, max_length=2000)
    disputed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True, max_length=2000)
    # Part of a calibration (never the agent's: left out of their scores and of what they see).
    calibration = models.ForeignKey(
        "Calibration", null=True, blank=True, on_delete=models.CASCADE, related_name="evaluations"
    )

    class Meta:
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["agent", "status"], name="evaluation_agent_status"),
            models.Index(fields=["interaction"], name="evaluation_interaction"),
        ]

    def __str__(self) -> str:
        return f"evaluation {self.pk} of {self.interaction_id}"


class SamplingRule(models.Model):
    """What puts interactions in the evaluators' work list: a random share of each agent's work, every
    low rating, or handling much longer than the queue's usual."""

    class Kind(models.TextChoices):
        RANDOM = "random", _("A share of each agent's interactions")
        LOW_CSAT = "low_csat", _("Every interaction rated at most")
        LONG_HANDLE = "long_handle", _("Handle time over a multiple of the queue's average")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    form = models.ForeignKey(EvaluationForm, on_delete=models.CASCADE, related_name="+")
    channels = ArrayField(models.CharField(max_length=16), default=list, blank=True)  # empty: every channel
    percent = models.FloatField(null=True, blank=True)  # random
    csat_at_most = models.PositiveSmallIntegerField(null=True, blank=True)  # low_csat
    aht_factor = models.FloatField(null=True, blank=True)  # long_handle
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sampled_to = models.DateTimeField(null=True, blank=True)  # what happened up to here was looked at

    def __str__(self) -> str:
        return self.name


class WorkItem(models.Model):
    """An interaction a sampling rule picked for evaluation: once, whatever the rules (unique)."""

    class Status(models.TextChoices):
        OPEN = "open", _("To evaluate")
        STARTED = "started", _("Started")
        DISMISSED = "dismissed", _("Dismissed")

    interaction = models.OneToOneField("inbox.Interaction", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey("agents.AgentProfile", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(SamplingRule, null=True, on_delete=models.SET_NULL, related_name="items")
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    evaluation = models.ForeignKey(Evaluation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes: ClassVar[list[Any]] = [models.Index(fields=["status", "created_at"], name="workitem_open")]

    def __str__(self) -> str:
        return f"work item {self.interaction_id}"


class Calibration(models.Model):
    """Several evaluators score the same interaction with the same form, one of them the expert whose
    evaluation the others are compared with. Its evaluations count in no agent's scores."""

    interaction = models.ForeignKey("inbox.Interaction", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="+")
    expert = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"calibration {self.pk} of {self.interaction_id}"
