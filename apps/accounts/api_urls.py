from django.urls import path

from . import apis

urlpatterns = [
    path("auth/token", apis.TokenApi.as_view(), name="api-token"),
    path("me", apis.MeApi.as_view(), name="api-me"),
]
