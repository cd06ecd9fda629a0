from django.http import HttpRequest, JsonResponse

from .health import health_report


def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health_report()
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": report}, status=200 if healthy else 503)
