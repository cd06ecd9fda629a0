from django.urls import URLPattern, URLResolver, include, path

from . import apis, dashboard_views, views

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/queues", apis.QueueReportApi.as_view(), name="api-report-queues"),
    path("reports/agents", apis.AgentReportApi.as_view(), name="api-report-agents"),
    path("reports/channels", apis.ChannelReportApi.as_view(), name="api-report-channels"),
    path("reports/metrics", apis.MetricsApi.as_view(), name="api-report-metrics"),
    path("reports/settings", apis.ReportingSettingsApi.as_view(), name="api-report-settings"),
    path("reports/realtime", apis.RealtimeApi.as_view(), name="api-report-realtime"),
    path("reports/interactions", apis.DrillDownApi.as_view(), name="api-report-interactions"),
    path("reports/scorecards/<int:pk>", apis.ScorecardApi.as_view(), name="api-scorecard"),
    path("reports/targets", apis.TeamTargetsApi.as_view(), name="api-team-targets"),
    path("reports/targets/<int:pk>", apis.TeamTargetsApi.as_view(), name="api-team-target"),
    path("reports/realtime/queues/<int:pk>/alert", apis.QueueAlertApi.as_view(), name="api-queue-alert"),
    path("reports/dashboards", apis.DashboardsApi.as_view(), name="api-dashboards"),
    path("reports/dashboards/<int:pk>", apis.DashboardApi.as_view(), name="api-dashboard"),
    path("reports/dashboards/<int:pk>/links", apis.DashboardLinksApi.as_view(), name="api-dashboard-links"),
    path("reports/dashboards/<int:pk>/links/<int:link>", apis.DashboardLinksApi.as_view(), name="api-dashboard-link"),
    path("reports/dashboards/<int:pk>/schedules", apis.DashboardSchedulesApi.as_view(), name="api-dashboard-schedules"),
    path(
        "reports/dashboards/<int:pk>/schedules/<int:schedule>",
        apis.DashboardSchedulesApi.as_view(),
        name="api-dashboard-schedule",
    ),
]

urlpatterns = [
    path("api/v1/", include(api_urlpatterns)),
    path("reports/", views.reports_page, name="reports"),
    path("reports/metrics/", views.metrics_page, name="reports-metrics"),
    path("wallboard/", views.wallboard_page, name="wallboard"),
    path("reports/interactions/", views.drill_down_page, name="reports-interactions"),
    path("scorecard/", views.scorecard_page, name="scorecard"),
    path("scorecard/<int:pk>/", views.scorecard_page, name="scorecard-agent"),
    path("scorecard/targets/", views.targets_page, name="scorecard-targets"),
    path("reports/dashboards/", dashboard_views.dashboards_page, name="reports-dashboards"),
    path("reports/dashboards/<int:pk>/", dashboard_views.dashboard_page, name="reports-dashboard"),
    path("shared/dashboards/<str:token>/", dashboard_views.shared_dashboard_page, name="shared-dashboard"),
]
