from django.urls import URLPattern, URLResolver, include, path

from . import apis, providers, views

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("email/mailboxes", apis.MailboxesApi.as_view(), name="api-email-mailboxes"),
    path("email/mailboxes/<int:pk>", apis.MailboxesApi.as_view(), name="api-email-mailbox"),
    path("email/rules", apis.RulesApi.as_view(), name="api-email-rules"),
    path("email/rules/<int:pk>", apis.RulesApi.as_view(), name="api-email-rule"),
    path("email/imap", apis.ImapApi.as_view(), name="api-email-imap"),
    path("email/imap/<int:pk>", apis.ImapApi.as_view(), name="api-email-imap-one"),
    path("email/providers", apis.ProvidersApi.as_view(), name="api-email-providers"),
    path("email/providers/<str:provider>", apis.ProvidersApi.as_view(), name="api-email-provider"),
    path("email/interactions/<int:pk>/reply", apis.ReplyApi.as_view(), name="api-email-reply"),
    path("email/mails/<int:pk>/forward", apis.ForwardApi.as_view(), name="api-email-forward"),
    path("email/interactions/<int:pk>/mails", apis.MailsApi.as_view(), name="api-email-mails"),
]

urlpatterns = [
    path("api/v1/", include(api_urlpatterns)),
    path("email/mails/<int:pk>/", views.email_original, name="email-original"),
    path("email/inbound/<str:provider>/", providers.provider_inbound, name="email-provider-inbound"),
]
