from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="dashboard"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/widget/", views.widget_settings, name="settings-widget"),
    path("settings/widget/<int:pk>/", views.widget_settings, name="settings-widget-save"),
]
