from django.urls import path

from . import queues, views

urlpatterns = [
    path("", views.home, name="dashboard"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/queues/", queues.queue_list, name="settings-queues"),
    path("settings/queues/<int:pk>/", queues.queue_edit, name="settings-queue"),
    path("settings/queues/<int:pk>/check-step/", queues.check_step, name="settings-queue-check-step"),
    path("settings/widget/", views.widget_settings, name="settings-widget"),
    path("settings/widget/<int:pk>/", views.widget_settings, name="settings-widget-save"),
]
