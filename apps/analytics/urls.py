from django.urls import URLPattern, URLResolver, include, path

from . import apis, views

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("analytics/interactions/<int:pk>", apis.InteractionAnalysisApi.as_view(), name="api-analytics-interaction"),
    path("analytics/trends", apis.TrendsApi.as_view(), name="api-analytics-trends"),
    path("analytics/topics", apis.TopicsApi.as_view(), name="api-analytics-topics"),
    path("analytics/topics/<int:pk>", apis.TopicsApi.as_view(), name="api-analytics-topic"),
]

urlpatterns = [
    path("api/v1/", include(api_urlpatterns)),
    path("analytics/", views.analytics_page, name="analytics"),
]
