from django.urls import URLPattern, URLResolver, include, path

from . import apis, forecast_views, schedule_apis, schedule_views, views

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("wfm/staffing", apis.StaffingApi.as_view(), name="api-wfm-staffing"),
    path("wfm/forecast", apis.ForecastApi.as_view(), name="api-wfm-forecast"),
    path("wfm/holidays", apis.HolidaysApi.as_view(), name="api-wfm-holidays"),
    path("wfm/holidays/<int:pk>", apis.HolidaysApi.as_view(), name="api-wfm-holiday"),
    path("wfm/contracts", schedule_apis.ContractsApi.as_view(), name="api-wfm-contracts"),
    path("wfm/contracts/<int:pk>", schedule_apis.ContractsApi.as_view(), name="api-wfm-contract"),
    path("wfm/availability", schedule_apis.AgentPlansApi.as_view(), name="api-wfm-availability"),
    path("wfm/availability/<int:agent>", schedule_apis.AgentPlansApi.as_view(), name="api-wfm-agent-availability"),
    path("wfm/schedules", schedule_apis.SchedulesApi.as_view(), name="api-wfm-schedules"),
    path("wfm/schedules/generate", schedule_apis.GenerateApi.as_view(), name="api-wfm-generate"),
    path("wfm/schedules/<int:pk>", schedule_apis.ScheduleApi.as_view(), name="api-wfm-schedule"),
    path("wfm/schedules/<int:pk>/publish", schedule_apis.PublishApi.as_view(), name="api-wfm-publish"),
    path("wfm/schedules/<int:pk>/shifts", schedule_apis.ShiftsApi.as_view(), name="api-wfm-shifts"),
    path("wfm/shifts", schedule_apis.ShiftListApi.as_view(), name="api-wfm-shift-list"),
    path("wfm/shifts/<int:pk>", schedule_apis.ShiftApi.as_view(), name="api-wfm-shift"),
    path("wfm/shifts/<int:pk>/activities", schedule_apis.ActivitiesApi.as_view(), name="api-wfm-activities"),
    path("wfm/activities/<int:pk>", schedule_apis.ActivitiesApi.as_view(), name="api-wfm-activity"),
    path("wfm/my-schedule", schedule_apis.MyScheduleApi.as_view(), name="api-wfm-my-schedule"),
    path("wfm/adherence", schedule_apis.AdherenceApi.as_view(), name="api-wfm-adherence"),
    path("wfm/adherence/now", schedule_apis.AdherenceNowApi.as_view(), name="api-wfm-adherence-now"),
]

urlpatterns = [
    path("api/v1/", include(api_urlpatterns)),
    path("wfm/", views.staffing_page, name="wfm"),
    path("wfm/forecast/", forecast_views.forecast_page, name="wfm-forecast"),
    path("wfm/schedules/", schedule_views.schedules_page, name="wfm-schedules"),
    path("wfm/schedules/<int:pk>/", schedule_views.schedule_page, name="wfm-schedule"),
    path("wfm/adherence/", schedule_views.adherence_page, name="wfm-adherence"),
    path("wfm/adherence/now/", schedule_views.adherence_now, name="wfm-adherence-now"),
    path("wfm/my-schedule/", schedule_views.my_schedule_page, name="wfm-my-schedule"),
]
