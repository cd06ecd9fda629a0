from django.urls import URLPattern, path

from . import apis

api_urlpatterns: list[URLPattern] = [
    path("ice-servers", apis.IceServersApi.as_view(), name="api-ice-servers"),
    path("calls/<str:call_id>/snapshots", apis.SnapshotApi.as_view(), name="api-call-snapshot"),
    path("interactions/<int:pk>/calls", apis.InteractionCallsApi.as_view(), name="api-interaction-calls"),
]

urlpatterns: list[URLPattern] = [
    path("calls/recordings/<int:pk>", apis.recording_download, name="call-recording"),
    path("calls/recordings/<int:pk>/tracks/<int:index>", apis.recording_track, name="call-recording-track"),
]
