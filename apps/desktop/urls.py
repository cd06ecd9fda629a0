from django.urls import path

from . import views

urlpatterns = [
    path("desktop/", views.desktop, name="desktop"),
]
