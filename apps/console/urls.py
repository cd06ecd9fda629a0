from django.urls import path

from . import canned, queues, views

urlpatterns = [
    path("", views.home, name="dashboard"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/queues/", queues.queue_list, name="settings-queues"),
    path("settings/queues/<int:pk>/", queues.queue_edit, name="settings-queue"),
    path("settings/queues/<int:pk>/check-step/", queues.check_step, name="settings-queue-check-step"),
    path("settings/canned/", canned.canned_settings, name="settings-canned"),
    path("settings/canned/<int:pk>/", canned.canned_settings, name="settings-canned-save"),
    path("settings/canned/<int:pk>/delete/", canned.canned_delete, name="settings-canned-delete"),
    path("settings/canned/preview/", canned.canned_preview, name="settings-canned-preview"),
    path("settings/widget/", views.widget_settings, name="settings-widget"),
    path("settings/widget/<int:pk>/", views.widget_settings, name="settings-widget-save"),
]
