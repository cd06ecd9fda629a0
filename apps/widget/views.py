"""The widget's HTTP side: the loader (`/widget.js`), the iframe page, customer uploads."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import ApplicationError
from apps.core.hooks import run_hooks
from apps.core.tenancy import current_schema
from apps.inbox.actions import do_post_message, do_store_attachment
from apps.inbox.models import Message
from apps.kb.models import Article

from .identity import read_visitor_token
from .selectors import open_chat_of, widget_key


@require_GET
def loader(request: HttpRequest) -> FileResponse:
    path = finders.find("widget/loader.js")
    assert isinstance(path, str)
    response = FileResponse(open(path, "rb"), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
@xframe_options_exempt
def frame(request: HttpRequest) -> HttpResponse:
    wk = widget_key(request.GET.get("key"))
    if wk is None:
        return render(request, "widget/unavailable.html", status=404)
    config = {"key": wk.public_key, "allowedOrigins": wk.allowed_origins, **wk.as_config()}
    # Help articles are offered before a chat once the business has published one (static/widget/help.js).
    config["kb"] = Article.objects.filter(status=Article.Status.PUBLISHED).exists()
    # json_script: the greeting and the rest are the business's data, never markup in this page.
    response = render(request, "widget/frame.html", {"config": config})
    # Only the business's own pages may frame the widget; the browser enforces it.
    ancestors = " ".join(o for o in wk.allowed_origins if o.startswith(("http://", "https://"))) or "'none'"
    response["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
    return response


@csrf_exempt  # authorised by the signed visitor token, not a cookie
@require_POST
def upload(request: HttpRequest) -> JsonResponse:
    wk = widget_key(request.POST.get("key"))
    visitor = read_visitor_token(request.POST.get("visitor_token"), current_schema(), wk.pk) if wk else None
    if wk is None or visitor is None:
        return JsonResponse({"error": {"code": "forbidden", "message": _("Not allowed."), "fields": {}}}, status=403)
    interaction = open_chat_of(visitor["c"])
    if interaction is None:
        return JsonResponse(
            {"error": {"code": "no_conversation", "message": _("Write a message first."), "fields": {}}}, status=409
        )
    upload_file = request.FILES.get("file")
    if upload_file is None:
        return JsonResponse(
            {"error": {"code": "invalid", "message": _("Choose a file."), "fields": {"file": [_("No file.")]}}},
            status=400,
        )
    try:
        attachment = do_store_attachment(interaction, upload_file)
        message = do_post_message(
            interaction,
            kind=Message.Kind.CUSTOMER,
            attachment=attachment,
            client_id=str(request.POST.get("client_id", ""))[:64],
        )
    except ApplicationError as exc:
        return JsonResponse({"error": exc.as_dict()}, status=exc.status)
    return JsonResponse({"seq": message.seq}, status=201)


def attachment_download(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """Agents who may see the conversation, or the customer with a signed link."""
    from django.core import signing

    from apps.inbox.actions import check_can_work_on
    from apps.inbox.models import Attachment

    attachment = Attachment.objects.filter(pk=pk).select_related("interaction").first()
    if attachment is None:
        return HttpResponse(status=404)
    allowed = False
    if request.user.is_authenticated:
        try:
            check_can_work_on(request.user, attachment.interaction)  # type: ignore[arg-type]
            allowed = True
        except ApplicationError:
            allowed = False
    token = request.GET.get("t")
    if not allowed and token:
        try:
            allowed = signing.loads(token, salt="attachment", max_age=86400) == [current_schema(), pk]
        except signing.BadSignature:
            allowed = False
    if not allowed:
        return HttpResponse(status=403)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = f'attachment; filename="{attachment.name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def check(request: HttpRequest) -> JsonResponse:
    """The loader asks, before it draws anything, whether the page it runs on may use this key (the
    browser's `Origin` header of this cross-origin request says which page). A page that may not
    gets a console message for the site's owner and no widget: never a frame that fails to load."""
    wk = widget_key(request.GET.get("key"))
    origin = request.headers.get("Origin", "")
    if wk is None:
        allowed, message = (
            False,
            _("Contact center widget: the key %(key)s is unknown or disabled.")
            % {"key": (request.GET.get("key") or "")[:80]},
        )
    elif not wk.allows_origin(origin):
        allowed = False
        message = _(
            "Contact center widget: %(origin)s is not an allowed origin of widget key %(key)s. "
            "Add it in the widget settings (allowed origins)."
        ) % {"origin": origin[:200] or _("this page"), "key": wk.public_key}
    else:
        allowed, message = True, ""
    body: dict[str, object] = {"allowed": allowed, "message": message}
    if allowed:
        for config in run_hooks("widget_tracker_config"):  # journey: the tracker's settings
            body.update(config)
    response = JsonResponse(body)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response
