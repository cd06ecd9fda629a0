from django.urls import URLPattern, path

from . import apis, apis_identity

api_urlpatterns: list[URLPattern] = [
    path("ice-servers", apis.IceServersApi.as_view(), name="api-ice-servers"),
    path("calls/<str:call_id>/snapshots", apis.SnapshotApi.as_view(), name="api-call-snapshot"),
    path("interactions/<int:pk>/calls", apis.InteractionCallsApi.as_view(), name="api-interaction-calls"),
    path(
        "calls/<str:call_id>/identity-checks",
        apis_identity.StartIdentityCheckApi.as_view(),
        name="api-call-identity-checks",
    ),
    path("identity-checks/<int:pk>", apis_identity.IdentityCheckApi.as_view(), name="api-identity-check"),
    path("identity-checks/<int:pk>/steps", apis_identity.IdentityStepApi.as_view(), name="api-identity-steps"),
    path("identity-checks/<int:pk>/decide", apis_identity.DecideIdentityCheckApi.as_view(), name="api-identity-decide"),
    path(
        "identity-checks/<int:pk>/steps/<int:step>/photo",
        apis_identity.IdentityPhotoApi.as_view(),
        name="api-identity-photo",
    ),
    path(
        "interactions/<int:pk>/identity-checks",
        apis_identity.InteractionIdentityChecksApi.as_view(),
        name="api-interaction-identity-checks",
    ),
]

urlpatterns: list[URLPattern] = [
    path("calls/recordings/<int:pk>", apis.recording_download, name="call-recording"),
    path("calls/recordings/<int:pk>/tracks/<int:index>", apis.recording_track, name="call-recording-track"),
]
