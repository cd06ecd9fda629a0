from django.urls import URLPattern, URLResolver, include, path

from . import apis

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("email/mailboxes", apis.MailboxesApi.as_view(), name="api-email-mailboxes"),
    path("email/mailboxes/<int:pk>", apis.MailboxesApi.as_view(), name="api-email-mailbox"),
    path("email/rules", apis.RulesApi.as_view(), name="api-email-rules"),
    path("email/rules/<int:pk>", apis.RulesApi.as_view(), name="api-email-rule"),
]

urlpatterns = [path("api/v1/", include(api_urlpatterns))]
