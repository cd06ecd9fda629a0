from django.urls import URLPattern, URLResolver, include, path

from . import apis, views

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("contacts/<int:pk>/journey", apis.ContactJourneyApi.as_view(), name="api-contact-journey"),
    path("contacts/<int:pk>/events", apis.ContactEventsApi.as_view(), name="api-contact-events"),
    path("journey/settings", apis.JourneySettingsApi.as_view(), name="api-journey-settings"),
    path("journey/engagement-rules", apis.EngagementRulesApi.as_view(), name="api-engagement-rules"),
    path("journey/engagement-rules/<int:pk>", apis.EngagementRuleApi.as_view(), name="api-engagement-rule"),
]

urlpatterns = [
    path("api/v1/", include(api_urlpatterns)),
    path("contacts/", views.contacts_page, name="journey-contacts"),
    path("contacts/<int:pk>/journey/", views.journey_page, name="journey-contact"),
    path("contacts/<int:pk>/merge/", views.merge_contact, name="journey-merge"),
    path("widget/engage/", views.engage, name="widget-engage"),
]
