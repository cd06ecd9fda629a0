"""Interaction analytics' rows: the tenant's topics, each interaction's analysis (sentiment, keywords,
topics, the call's talk pattern and spotted phrases) with the topic and keyword hits that reports count,
phrases quality's automatic answers want spotted in calls, and the automatic answers themselves."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Topic(models.Model):
    """What interactions are about, as the tenant names it: a topic matches an interaction when one of
    its phrases is written in it (chats, emails) or spotted in it (calls)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    phrases = ArrayField(models.CharField(max_length=100), verbose_name=_("phrases"))
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class WatchedPhrase(models.Model):
    """A phrase that calls' keyword spotting listens for besides the topics' phrases (quality's
    automatic answers register theirs when a form is saved)."""

    phrase = models.CharField(max_length=100, unique=True)
    source = models.CharField(max_length=40, default="quality")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.phrase


class InteractionAnalysis(models.Model):
    """The latest analysis of one interaction; a new run replaces it (and its hits) whole."""

    interaction = models.OneToOneField("inbox.Interaction", on_delete=models.CASCADE, related_name="analysis")
    channel = models.CharField(max_length=16)
    queue = models.ForeignKey("routing.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    day = models.DateField(help_text="The day the interaction ended (the tenant's time zone): trends count it there.")
    analysed_at = models.DateTimeField()
    generation = models.PositiveIntegerField(default=1)  # how many runs produced this row (re-runs replace)
    # Sentiment, each a score in [-1, 1] and its label (null when that party wrote nothing).
    customer_score = models.FloatField(null=True, blank=True)
    customer_label = models.CharField(max_length=8, blank=True)
    agent_score = models.FloatField(null=True, blank=True)
    agent_label = models.CharField(max_length=8, blank=True)
    end_score = models.FloatField(null=True, blank=True)
    end_label = models.CharField(max_length=8, blank=True)
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True)
    messages = models.JSONField(default=list, blank=True)  # [{seq, party, at_seconds, lang, score, label}]
    keywords = models.JSONField(default=list, blank=True)  # [[term, count], ...] of the customer's words
    topics = models.JSONField(default=list, blank=True)  # [{name, phrase, party, at_seconds}]
    # Calls: `selectors.call_timeline`'s shape, the spotted phrases and the speech engine that spotted them.
    call = models.JSONField(null=True, blank=True)
    spotted = models.JSONField(default=list, blank=True)  # [{party, phrase, start, end}]
    speech_engine = models.CharField(max_length=40, blank=True)
    recording_id = models.BigIntegerField(null=True, blank=True)
    # What the run cost: {wall_seconds, cpu_seconds, audio_seconds, ratio (cpu / audio)}.
    cost = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes: ClassVar[list[Any]] = [models.Index(fields=["day", "queue"], name="analysis_day_queue")]

    def __str__(self) -> str:
        return f"analysis of {self.interaction_id}"


class TopicHit(models.Model):
    """A topic that matched an interaction (once per interaction), for trends by day and queue."""

    analysis = models.ForeignKey(InteractionAnalysis, on_delete=models.CASCADE, related_name="topic_hits")
    topic = models.ForeignKey(Topic, null=True, on_delete=models.SET_NULL, related_name="hits")
    name = models.CharField(max_length=80)
    day = models.DateField()
    queue = models.ForeignKey("routing.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=16)

    class Meta:
        indexes: ClassVar[list[Any]] = [models.Index(fields=["day", "name"], name="topichit_day_name")]

    def __str__(self) -> str:
        return f"{self.name} in {self.analysis_id}"


class KeywordHit(models.Model):
    """One of an interaction's keywords (the customer's words), with its count, for keyword trends."""

    analysis = models.ForeignKey(InteractionAnalysis, on_delete=models.CASCADE, related_name="keyword_hits")
    term = models.CharField(max_length=60)
    count = models.PositiveIntegerField()
    day = models.DateField()
    queue = models.ForeignKey("routing.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes: ClassVar[list[Any]] = [models.Index(fields=["day", "term"], name="keywordhit_day_term")]

    def __str__(self) -> str:
        return f"{self.term} x{self.count}"


class AutoAnswer(models.Model):
    """A question of an evaluation answered from the analysis when the evaluation started, with its
    evidence (quality owns the evaluation: referred to by id, as analytics sits below quality)."""

    evaluation_id = models.BigIntegerField()
    question_id = models.CharField(max_length=40)
    interaction = models.ForeignKey("inbox.Interaction", on_delete=models.CASCADE, related_name="+")
    rule = models.JSONField()
    answer = models.CharField(max_length=8, blank=True)  # "yes", "no", or "" when it could not be told
    evidence = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["evaluation_id", "question_id"], name="autoanswer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} of evaluation {self.evaluation_id}: {self.answer}"
