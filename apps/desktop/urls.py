from django.urls import path

from . import views

urlpatterns = [
    path("desktop/", views.desktop, name="desktop"),
    path("desktop/colleagues/", views.colleagues_presence, name="desktop-colleagues"),
]
