"""Settings: email. Each mailbox's address (mail sent or forwarded there reaches the inbox), the queue
its mail goes to, the acknowledgement sent to a new sender and the signature under every answer;
a new mailbox; routing rules; IMAP mailboxes of the tenant's own read into the inbox (with each one's
last error). Saved through email's actions (the same checks as the API)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.core.errors import ApplicationError, NotFound
from apps.core.validation import whole_number
from apps.email.actions import (
    do_delete_imap,
    do_delete_provider_inbound,
    do_delete_rule,
    do_save_imap,
    do_save_mailbox,
    do_save_provider_inbound,
    do_save_rule,
)
from apps.email.addresses import tenant_domain
from apps.email.models import ImapAccount, Mailbox, MailRule, ProviderInbound
from apps.email.selectors import provider_inbound_url
from apps.routing.models import Queue


def _values(request: HttpRequest) -> dict[str, Any]:
    return {
        "name": request.POST.get("name", "").strip(),
        "local_part": request.POST.get("local_part", "").strip().lower(),
        "queue": whole_number(request.POST.get("queue")),
        "auto_reply": request.POST.get("auto_reply") == "on",
        "auto_reply_body": request.POST.get("auto_reply_body", ""),
        "out_of_hours_body": request.POST.get("out_of_hours_body", ""),
        "signature": request.POST.get("signature", ""),
        "smtp_host": request.POST.get("smtp_host", "").strip(),
        "smtp_port": whole_number(request.POST.get("smtp_port")) if request.POST.get("smtp_port") else None,
        "smtp_security": request.POST.get("smtp_security", "starttls"),
        "smtp_username": request.POST.get("smtp_username", "").strip(),
        "smtp_password": request.POST.get("smtp_password", ""),
        "send_as": request.POST.get("send_as", "").strip(),
    }


def _rule_step(request: HttpRequest, user: User) -> str:
    if request.POST.get("step") == "delete_rule":
        do_delete_rule(user, whole_number(request.POST.get("rule")) or 0)
        return _("Rule removed.")
    raw_priority = request.POST.get("priority", "").strip()
    do_save_rule(
        user,
        {
            "field": request.POST.get("field", ""),
            "contains": request.POST.get("contains", ""),
            "mailbox": whole_number(request.POST.get("mailbox")) if request.POST.get("mailbox") else None,
            "queue": whole_number(request.POST.get("queue")) if request.POST.get("queue") else None,
            "labels": [x.strip() for x in request.POST.get("labels", "").split(",") if x.strip()],
            "priority": (whole_number(raw_priority.lstrip("-")) or 0) * (-1 if raw_priority.startswith("-") else 1)
            if raw_priority
            else None,
            "position": MailRule.objects.count() + 1,
        },
    )
    return _("Rule added: new mail that matches it is routed by it.")


@login_required
@require_http_methods(["POST"])
def email_rules(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    if user.role not in ("owner", "admin"):
        return render(request, "core/forbidden.html", status=403)
    try:
        messages.success(request, _rule_step(request, user))
    except ApplicationError as exc:
        detail = " ".join(" ".join(v) for v in (exc.fields or {}).values())
        messages.error(request, f"{exc.message} {detail}".strip())
    return redirect("settings-email")


def _check_smtp(request: HttpRequest, mailbox: Mailbox) -> None:
    from apps.email.outbound import check_smtp

    if not mailbox.smtp_host:
        messages.success(request, _("Answers go out through our mail server."))
        return
    problem = check_smtp(mailbox)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(
            request, _("%(host)s accepted the login: answers go out through it.") % {"host": mailbox.smtp_host}
        )


@login_required
@require_http_methods(["GET", "POST"])
def email_settings(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = cast(User, request.user)
    if user.role not in ("owner", "admin"):
        return render(request, "core/forbidden.html", status=403)
    errors: dict[str, list[str]] = {}
    posted: dict[str, Any] = {}
    if request.method == "POST":
        posted = _values(request)
        try:
            mailbox = do_save_mailbox(user, posted, pk)
        except ApplicationError as exc:
            errors = dict(exc.fields or {"name": [exc.message]})
        else:
            messages.success(request, _("Saved: mail to %(address)s goes to %(queue)s.") % {
                "address": f"{mailbox.local_part}@{tenant_domain()}", "queue": mailbox.queue.name})  # fmt: skip
            if request.POST.get("step") == "check_smtp":
                _check_smtp(request, mailbox)
            return redirect("settings-email")
    domain = tenant_domain()
    boxes = []
    for box in Mailbox.objects.select_related("queue").order_by("-is_default", "local_part"):
        mine = request.method == "POST" and pk == box.pk
        boxes.append({"box": box, "address": f"{box.local_part}@{domain}", "errors": errors if mine else {},
                      "values": posted if mine else None})  # fmt: skip
    return render(
        request,
        "console/email_settings.html",
        {
            "boxes": boxes,
            "domain": domain,
            "queues": Queue.objects.order_by("name"),
            "rules": MailRule.objects.select_related("queue", "mailbox"),
            "fields": MailRule.Field.choices,
            "imap_accounts": ImapAccount.objects.select_related("mailbox").order_by("pk"),
            "securities": ImapAccount.Security.choices,
            "smtp_securities": [
                ("starttls", _("STARTTLS (usually port 587)")),
                ("ssl", _("TLS (usually port 465)")),
                ("none", _("None: only on a private network")),
            ],
            "hooks": [
                {"hook": h, "url": provider_inbound_url(h)}
                for h in ProviderInbound.objects.select_related("mailbox").order_by("provider")
            ],
            "providers": ProviderInbound.Provider.choices,
            "new_errors": errors if request.method == "POST" and pk is None else {},
            "new_values": posted if request.method == "POST" and pk is None else {},
        },
        status=400 if errors else 200,
    )


def _imap_values(request: HttpRequest, mailbox_default: int | None) -> dict[str, Any]:
    return {
        "mailbox": whole_number(request.POST.get("mailbox")) if request.POST.get("mailbox") else mailbox_default,
        "host": request.POST.get("host", "").strip(),
        "port": whole_number(request.POST.get("port")),
        "security": request.POST.get("security", ""),
        "username": request.POST.get("username", "").strip(),
        "password": request.POST.get("password", ""),
        "folder": request.POST.get("folder", "").strip() or "INBOX",
        "enabled": request.POST.get("enabled") == "on",
        "include_existing": request.POST.get("include_existing") == "on",
    }


@login_required
@require_http_methods(["POST"])
def email_imap(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """An IMAP mailbox added, changed, checked now or removed (the settings page's IMAP section)."""
    from apps.email.tasks import look_now

    user = cast(User, request.user)
    if user.role not in ("owner", "admin"):
        return render(request, "core/forbidden.html", status=403)
    step = request.POST.get("step", "save")
    try:
        if step == "delete" and pk:
            do_delete_imap(user, pk)
            messages.success(request, _("IMAP connection removed: its mail is no longer read."))
        elif step == "check" and pk:
            account = ImapAccount.objects.filter(pk=pk).first()
            if account is None:
                raise NotFound(_("No such IMAP connection."))
            looked = look_now(pk, wait=True)
            if looked.busy:
                messages.success(request, _("It is being read right now; look again in a moment."))
            elif looked.ok:
                messages.success(request, _("Connected: %(n)d new mail(s) brought in.") % {"n": looked.fetched})
            else:
                messages.error(request, looked.error)
        else:
            values = _imap_values(request, None)
            account = do_save_imap(user, {k: v for k, v in values.items() if v is not None}, pk)
            messages.success(
                request,
                _("Saved: new mail in %(folder)s of %(user)s is brought into %(box)s.")
                % {"folder": account.folder, "user": account.username, "box": account.mailbox.local_part},
            )
    except ApplicationError as exc:
        detail = " ".join(" ".join(v) for v in (exc.fields or {}).values())
        messages.error(request, f"{exc.message} {detail}".strip())
    return redirect(f"{reverse('settings-email')}#imap")


@login_required
@require_http_methods(["POST"])
def email_providers(request: HttpRequest) -> HttpResponse:
    """A provider's inbound webhook turned on or changed (its URL then shown), a new secret, or removed."""
    user = cast(User, request.user)
    if user.role not in ("owner", "admin"):
        return render(request, "core/forbidden.html", status=403)
    provider = request.POST.get("provider", "")
    try:
        if request.POST.get("step") == "delete":
            do_delete_provider_inbound(user, provider)
            messages.success(request, _("Webhook removed: the provider's posts are refused from now on."))
        else:
            hook = do_save_provider_inbound(
                user,
                {
                    "provider": provider,
                    "mailbox": whole_number(request.POST.get("mailbox")),
                    "signing_key": request.POST.get("signing_key", ""),
                    "new_secret": request.POST.get("step") == "new_secret",
                    "enabled": True,
                },
            )
            messages.success(
                request,
                _("Saved: paste the URL shown for %(provider)s into its inbound settings.")
                % {"provider": hook.get_provider_display()},
            )
    except ApplicationError as exc:
        detail = " ".join(" ".join(v) for v in (exc.fields or {}).values())
        messages.error(request, f"{exc.message} {detail}".strip())
    return redirect(f"{reverse('settings-email')}#providers")
