from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.agents import apis as agent_apis

from . import apis

router = SimpleRouter(trailing_slash=False)
router.register("queues", apis.QueueViewSet, basename="queue")
router.register("business-hours", apis.BusinessHoursViewSet, basename="business-hours")
router.register("interaction-attributes", apis.InteractionAttributeViewSet, basename="interaction-attribute")
router.register("agents", agent_apis.AgentViewSet, basename="agent")
router.register("skills", agent_apis.SkillViewSet, basename="skill")
router.register("teams", agent_apis.TeamViewSet, basename="team")
router.register("reason-codes", agent_apis.ReasonCodeViewSet, basename="reason-code")

urlpatterns = [
    path("me/state", agent_apis.AgentStateApi.as_view(), name="api-agent-state"),
    path("interactions", apis.InteractionCreateApi.as_view(), name="api-interaction-create"),
    path("interactions/<int:pk>", apis.InteractionDetailApi.as_view(), name="api-interaction"),
    path("interactions/<int:pk>/complete", apis.InteractionCompleteApi.as_view(), name="api-interaction-complete"),
    path("interactions/<int:pk>/assign", apis.InteractionAssignApi.as_view(), name="api-interaction-assign"),
    path("interactions/<int:pk>/pick", apis.InteractionPickApi.as_view(), name="api-interaction-pick"),
    path("offers/<int:pk>/accept", apis.OfferAcceptApi.as_view(), name="api-offer-accept"),
    path("offers/<int:pk>/reject", apis.OfferRejectApi.as_view(), name="api-offer-reject"),
    path("", include(router.urls)),
]
