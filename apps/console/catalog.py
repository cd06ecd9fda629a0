"""Settings: the short lists a business defines once and edits now and then: skills, teams, reason
codes (why an agent is away), dispositions (wrap-up outcomes) and interaction attributes (what
routing steps may test). One page per list, each item a small form; every write goes through the
REST API's serializer (the same validation) whose save calls the owning app's action (the audit
row). Owners and admins edit; supervisors see the lists, read-only (the page says so)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework import serializers

from apps.accounts.models import User
from apps.agents.actions import do_delete_reason_code, do_delete_skill, do_delete_team
from apps.agents.apis import ReasonCodeSerializer, SkillSerializer, TeamSerializer
from apps.agents.models import ReasonCode, Skill, Team
from apps.core.errors import ApplicationError
from apps.inbox.actions.dispositions import do_delete_disposition
from apps.inbox.apis import DispositionSerializer
from apps.inbox.models import Disposition
from apps.routing.actions_settings import do_delete_interaction_attribute
from apps.routing.apis import InteractionAttributeSerializer
from apps.routing.models import InteractionAttribute

EDITORS = {"owner", "admin"}
READERS = {"owner", "admin", "supervisor"}


@dataclass(frozen=True)
class Field:
    name: str
    label: Promise
    maxlength: int = 100
    choices: tuple[tuple[str, Any], ...] = ()
    hint: Promise | str = ""


@dataclass(frozen=True)
class Kind:
    slug: str
    title: Promise
    intro: Promise
    new_title: Promise
    confirm: Promise
    model: type[models.Model]
    serializer: type[serializers.ModelSerializer]
    delete: Callable[[User, Any], None]
    fields: tuple[Field, ...]
    locked: Callable[[Any], bool] = field(default=lambda obj: False)

    @property
    def url_name(self) -> str:
        return f"settings-{self.slug}"


NAME_HINT = gettext_lazy("Letters, digits, dashes and underscores, without spaces: routing steps use the name.")

KINDS: dict[str, Kind] = {
    k.slug: k
    for k in (
        Kind(
            slug="skills",
            title=gettext_lazy("Skills"),
            intro=gettext_lazy(
                "What agents know. Give agents their skills and levels on the Agents page; routing steps "
                "test them as skills.<name>."
            ),
            new_title=gettext_lazy("New skill"),
            confirm=gettext_lazy("Delete this skill?"),
            model=Skill,
            serializer=SkillSerializer,
            delete=do_delete_skill,
            fields=(
                Field("name", gettext_lazy("Name"), 50, hint=NAME_HINT),
                Field("description", gettext_lazy("Description"), 200),
            ),
        ),
        Kind(
            slug="teams",
            title=gettext_lazy("Teams"),
            intro=gettext_lazy(
                "Groups of agents, for reports and supervision. Put agents in teams on the Agents page."
            ),
            new_title=gettext_lazy("New team"),
            confirm=gettext_lazy("Delete this team?"),
            model=Team,
            serializer=TeamSerializer,
            delete=do_delete_team,
            fields=(Field("name", gettext_lazy("Name"), 100),),
        ),
        Kind(
            slug="reason-codes",
            title=gettext_lazy("Reason codes"),
            intro=gettext_lazy(
                "Why an agent is away or not ready (break, lunch, training…): agents pick one when they step "
                "away, and reports count the time in each. Reasons set by the product cannot be changed."
            ),
            new_title=gettext_lazy("New reason code"),
            confirm=gettext_lazy("Delete this reason code?"),
            model=ReasonCode,
            serializer=ReasonCodeSerializer,
            delete=do_delete_reason_code,
            fields=(Field("name", gettext_lazy("Name"), 60),),
            locked=lambda obj: bool(obj.is_system),
        ),
        Kind(
            slug="dispositions",
            title=gettext_lazy("Dispositions"),
            intro=gettext_lazy(
                "Wrap-up outcomes: what the agent records when resolving a conversation (Solved, Call back, "
                "Sale…). Queues can require one."
            ),
            new_title=gettext_lazy("New disposition"),
            confirm=gettext_lazy("Delete this disposition?"),
            model=Disposition,
            serializer=DispositionSerializer,
            delete=do_delete_disposition,
            fields=(Field("name", gettext_lazy("Name"), 80),),
        ),
        Kind(
            slug="attributes",
            title=gettext_lazy("Interaction attributes"),
            intro=gettext_lazy(
                "Facts an integration or the widget attaches to a conversation (e.g. order value, VIP) that "
                "routing steps may test as interaction.<name>."
            ),
            new_title=gettext_lazy("New attribute"),
            confirm=gettext_lazy("Delete this attribute?"),
            model=InteractionAttribute,
            serializer=InteractionAttributeSerializer,
            delete=do_delete_interaction_attribute,
            fields=(
                Field("name", gettext_lazy("Name"), 50, hint=NAME_HINT),
                Field("type", gettext_lazy("Type"), choices=tuple(InteractionAttribute.Type.choices)),
            ),
        ),
    )
}


def _role_in(request: HttpRequest, roles: set[str]) -> bool:
    return bool(request.user.is_authenticated and request.user.role in roles)  # type: ignore[union-attr]


def _kind(slug: str) -> Kind:
    if slug not in KINDS:
        raise Http404
    return KINDS[slug]


def _item(kind: Kind, obj: Any, values: dict[str, Any] | None = None, errors: Any = None) -> dict[str, Any]:
    shown = values or {f.name: (getattr(obj, f.name) if obj is not None else "") for f in kind.fields}
    if obj is None and not values:
        shown.update({f.name: f.choices[0][0] for f in kind.fields if f.choices})
    flat = {k: [str(e) for e in v] for k, v in (errors or {}).items()}
    fields = [{"f": f, "value": shown.get(f.name, ""), "errors": flat.pop(f.name, [])} for f in kind.fields]
    # An error about no one field (the serializer's non_field_errors, a refused action) shows at the first.
    fields[0]["errors"] += [e for v in flat.values() for e in v]
    return {"obj": obj, "fields": fields, "locked": obj is not None and kind.locked(obj)}


def _page(
    request: HttpRequest,
    kind: Kind,
    new: dict[str, Any] | None = None,
    status: int = 200,
    shown: dict[str, Any] | None = None,
) -> HttpResponse:
    """The whole page; `shown` replaces the listed item of the same object (its typed values and errors)."""
    objects = kind.model._default_manager.order_by("name")  # type: ignore[attr-defined]
    items = [shown if shown is not None and shown["obj"].pk == o.pk else _item(kind, o) for o in objects]
    return render(
        request,
        "console/catalog.html",
        {
            "kind": kind,
            "items": items,
            "new": new or _item(kind, None),
            "can_edit": _role_in(request, EDITORS),
        },
        status=status,
    )


def _posted(kind: Kind, request: HttpRequest) -> dict[str, Any]:
    return {f.name: request.POST.get(f.name, "").strip() for f in kind.fields}


def _save(kind: Kind, request: HttpRequest, obj: Any) -> tuple[Any, dict[str, Any], Any]:
    """Validate with the API's serializer and save through it (its save calls the action)."""
    values = _posted(kind, request)
    serializer = kind.serializer(obj, data=values, context={"request": request})
    if not serializer.is_valid():
        return None, values, serializer.errors
    try:
        return serializer.save(), values, None
    except ApplicationError as exc:
        return None, values, exc.fields or {"name": [exc.message]}


@login_required
@require_http_methods(["GET", "POST"])
def catalog_list(request: HttpRequest, kind: str) -> HttpResponse:
    """The list (GET) and adding an item (POST: back to the list with a message, or the form with
    its errors)."""
    spec = _kind(kind)
    if not _role_in(request, READERS if request.method == "GET" else EDITORS):
        return render(request, "core/forbidden.html", status=403)
    if request.method == "GET":
        return _page(request, spec)
    saved, values, errors = _save(spec, request, None)
    if saved is None:
        return _page(request, spec, new=_item(spec, None, values, errors), status=400)
    messages.success(request, _("“%(name)s” added.") % {"name": saved.name})
    return redirect(spec.url_name)


@login_required
@require_POST
def catalog_save(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = _kind(kind)
    if not _role_in(request, EDITORS):
        return render(request, "core/forbidden.html", status=403)
    obj = get_object_or_404(spec.model, pk=pk)
    saved, values, errors = _save(spec, request, obj)
    if request.htmx:  # type: ignore[attr-defined]
        item = _item(spec, saved, None) if saved is not None else _item(spec, obj, values, errors)
        return render(request, "console/_catalog_item.html", {"kind": spec, "item": item, "saved": saved is not None})
    if saved is None:
        return _page(request, spec, status=400, shown=_item(spec, obj, values, errors))
    messages.success(request, _("Saved."))
    return redirect(spec.url_name)


@login_required
@require_POST
def catalog_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Deleting something still in use is refused with the action's message, shown at the item."""
    spec = _kind(kind)
    if not _role_in(request, EDITORS):
        return render(request, "core/forbidden.html", status=403)
    obj = get_object_or_404(spec.model, pk=pk)
    try:
        spec.delete(request.user, obj)  # type: ignore[arg-type]
    except ApplicationError as exc:
        if request.htmx:  # type: ignore[attr-defined]
            item = _item(spec, obj, None, {"name": [exc.message]})
            return render(request, "console/_catalog_item.html", {"kind": spec, "item": item}, status=200)
        messages.error(request, exc.message)
        return redirect(spec.url_name)
    message = _("“%(name)s” deleted.") % {"name": str(obj)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "console/_catalog_deleted.html", {"message": message})
    messages.success(request, message)
    return redirect(spec.url_name)
