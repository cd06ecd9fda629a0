"""Quality management's rows: evaluation forms (versioned: an evaluation keeps the version it was made
with), evaluations of interactions, and the tenant's quality settings."""

from __future__ import annotations

from typing import Any, ClassVar

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

    class Meta:
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["agent", "status"], name="evaluation_agent_status"),
            models.Index(fields=["interaction"], name="evaluation_interaction"),
        ]

    def __str__(self) -> str:
        return f"evaluation {self.pk} of {self.interaction_id}"
