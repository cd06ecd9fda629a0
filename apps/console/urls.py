from django.urls import path

from . import agents, canned, catalog, engagement, hours, journey, mail, messaging, queues, views, webhooks

urlpatterns = [
    path("", views.home, name="dashboard"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/queues/", queues.queue_list, name="settings-queues"),
    path("settings/queues/<int:pk>/", queues.queue_edit, name="settings-queue"),
    path("settings/queues/<int:pk>/check-step/", queues.check_step, name="settings-queue-check-step"),
    path("settings/canned/", canned.canned_settings, name="settings-canned"),
    path("settings/email/", mail.email_settings, name="settings-email"),
    path("settings/email/<int:pk>/", mail.email_settings, name="settings-email-save"),
    path("settings/email/rules/", mail.email_rules, name="settings-email-rules"),
    path("settings/messaging/", messaging.messaging_settings, name="settings-messaging"),
    path("settings/messaging/<int:pk>/", messaging.messaging_settings, name="settings-messaging-save"),
    path("settings/webhooks/", webhooks.webhooks_settings, name="settings-webhooks"),
    path("settings/webhooks/<int:pk>/", webhooks.webhook_change, name="settings-webhook"),
    path("settings/webhooks/deliveries/<int:pk>/replay/", webhooks.webhook_replay, name="settings-webhook-replay"),
    path("settings/email/imap/", mail.email_imap, name="settings-email-imap"),
    path("settings/email/providers/", mail.email_providers, name="settings-email-providers"),
    path("settings/email/imap/<int:pk>/", mail.email_imap, name="settings-email-imap-one"),
    path("settings/canned/<int:pk>/", canned.canned_settings, name="settings-canned-save"),
    path("settings/canned/<int:pk>/delete/", canned.canned_delete, name="settings-canned-delete"),
    path("settings/canned/preview/", canned.canned_preview, name="settings-canned-preview"),
    path("settings/widget/", views.widget_settings, name="settings-widget"),
    path("settings/journey/", journey.journey_settings, name="settings-journey"),
    path("settings/engagement/", engagement.engagement_settings, name="settings-engagement"),
    path("settings/engagement/<int:pk>/", engagement.engagement_settings, name="settings-engagement-save"),
    path("settings/engagement/<int:pk>/delete/", engagement.engagement_delete, name="settings-engagement-delete"),
    path("settings/engagement/check/", engagement.engagement_check, name="settings-engagement-check"),
    path("settings/widget/<int:pk>/", views.widget_settings, name="settings-widget-save"),
    path("settings/hours/", hours.hours_list, name="settings-hours"),
    path("settings/hours/new/", hours.hours_edit, name="settings-hours-new"),
    path("settings/hours/<int:pk>/", hours.hours_edit, name="settings-hours-edit"),
    path("settings/hours/<int:pk>/delete/", hours.hours_delete, name="settings-hours-delete"),
    path("settings/agents/", agents.agent_list, name="settings-agents"),
    path("settings/agents/<int:pk>/", agents.agent_edit, name="settings-agent"),
    # Skills, teams, reason codes, dispositions, interaction attributes: one page each (catalog.KINDS).
    *[
        path(f"settings/{slug}/", catalog.catalog_list, {"kind": slug}, name=k.url_name)
        for slug, k in catalog.KINDS.items()
    ],
    path("settings/<slug:kind>/<int:pk>/", catalog.catalog_save, name="settings-catalog-save"),
    path("settings/<slug:kind>/<int:pk>/delete/", catalog.catalog_delete, name="settings-catalog-delete"),
]
