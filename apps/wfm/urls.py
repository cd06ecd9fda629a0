from django.urls import URLPattern, URLResolver, include, path

from . import apis, forecast_views, views

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("wfm/staffing", apis.StaffingApi.as_view(), name="api-wfm-staffing"),
    path("wfm/forecast", apis.ForecastApi.as_view(), name="api-wfm-forecast"),
    path("wfm/holidays", apis.HolidaysApi.as_view(), name="api-wfm-holidays"),
    path("wfm/holidays/<int:pk>", apis.HolidaysApi.as_view(), name="api-wfm-holiday"),
]

urlpatterns = [
    path("api/v1/", include(api_urlpatterns)),
    path("wfm/", views.staffing_page, name="wfm"),
    path("wfm/forecast/", forecast_views.forecast_page, name="wfm-forecast"),
]
