from django.urls import URLPattern, URLResolver, include, path

from . import apis, views

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("kb/articles", apis.ArticlesApi.as_view(), name="api-kb-articles"),
    path("kb/articles/<int:pk>", apis.ArticlesApi.as_view(), name="api-kb-article"),
    path("kb/articles/<int:pk>/feedback", apis.FeedbackApi.as_view(), name="api-kb-feedback"),
    path("kb/articles/<int:pk>/outdated", apis.OutdatedApi.as_view(), name="api-kb-outdated"),
    path("kb/search", apis.SearchApi.as_view(), name="api-kb-search"),
    path("kb/drafts", apis.DraftApi.as_view(), name="api-kb-drafts"),
    path("kb/report", apis.ReportApi.as_view(), name="api-kb-report"),
    path("kb/public/<int:pk>", apis.PublicArticleApi.as_view(), name="api-kb-public"),
    path("kb/suggestions", apis.SuggestionsApi.as_view(), name="api-kb-suggestions"),
]

urlpatterns = [
    path("api/v1/", include(api_urlpatterns)),
    path("help/", views.help_center, name="help-center"),
    path("help/<int:pk>/", views.help_article, name="help-article"),
    path("kb/", views.kb_page, name="kb"),
    path("kb/new/", views.kb_edit, name="kb-new"),
    path("kb/<int:pk>/", views.kb_edit, name="kb-edit"),
]
