from django.urls import URLPattern, URLResolver, include, path

from . import apis, views

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("messaging/channels", apis.ChannelsApi.as_view(), name="api-messaging-channels"),
    path("messaging/channels/<int:pk>", apis.ChannelsApi.as_view(), name="api-messaging-channel"),
    path("messaging/interactions/<int:pk>", apis.ConversationApi.as_view(), name="api-messaging-conversation"),
    path("messaging/interactions/<int:pk>/template", apis.TemplateApi.as_view(), name="api-messaging-template"),
]

urlpatterns = [
    path("api/v1/", include(api_urlpatterns)),
    path("hooks/messaging/<uuid:key>/", views.webhook, name="messaging-webhook"),
    path("hooks/messaging/files/<str:token>/", views.sent_file, name="messaging-file"),
]
