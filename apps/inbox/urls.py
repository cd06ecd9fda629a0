from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from . import apis, apis_callbacks

router = SimpleRouter(trailing_slash=False)
router.register("canned-responses", apis.CannedResponseViewSet, basename="canned-response")
router.register("dispositions", apis.DispositionViewSet, basename="disposition")

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("inbox", apis.InboxApi.as_view(), name="api-inbox"),
    path("interactions/<int:pk>/detail", apis.InteractionDetailApi.as_view(), name="api-interaction-detail"),
    path("interactions/<int:pk>/record", apis.InteractionRecordApi.as_view(), name="api-interaction-record"),
    path("interactions/<int:pk>/messages", apis.AgentReplyApi.as_view(), name="api-interaction-reply"),
    path("interactions/<int:pk>/resolve", apis.ResolveApi.as_view(), name="api-interaction-resolve"),
    path("interactions/<int:pk>/transfer", apis.TransferApi.as_view(), name="api-interaction-transfer"),
    path("interactions/<int:pk>/attachments", apis.AttachmentApi.as_view(), name="api-interaction-attachments"),
    path("interactions/<int:pk>/canned/<slug:shortcut>", apis.CannedRenderApi.as_view(), name="api-canned-render"),
    path("contacts", apis.ContactsApi.as_view(), name="api-contacts"),
    path("contacts/<int:pk>", apis.ContactApi.as_view(), name="api-contact"),
    path("contacts/<int:pk>/merge", apis.ContactMergeApi.as_view(), name="api-contact-merge"),
    path("contacts/<int:pk>/duplicates", apis.ContactDuplicatesApi.as_view(), name="api-contact-duplicates"),
    path("directory", apis.DirectoryApi.as_view(), name="api-directory"),
    path("callbacks", apis_callbacks.CallbacksApi.as_view(), name="api-callbacks"),
    path("callbacks/<int:pk>", apis_callbacks.CallbackApi.as_view(), name="api-callback"),
    path("callbacks/<int:pk>/cancel", apis_callbacks.CallbackCancelApi.as_view(), name="api-callback-cancel"),
    path("callbacks/<int:pk>/result", apis_callbacks.CallbackResultApi.as_view(), name="api-callback-result"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("api/v1/", include(api_urlpatterns)),
]
