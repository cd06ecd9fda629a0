from django.urls import URLPattern, URLResolver, include, path

from . import apis, views

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("wfm/staffing", apis.StaffingApi.as_view(), name="api-wfm-staffing"),
]

urlpatterns = [
    path("api/v1/", include(api_urlpatterns)),
    path("wfm/", views.staffing_page, name="wfm"),
]
