from django.urls import URLPattern, URLResolver, include, path

from . import apis, form_views, views

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("qa/forms", apis.FormsApi.as_view(), name="api-qa-forms"),
    path("qa/forms/<int:pk>", apis.FormApi.as_view(), name="api-qa-form"),
    path("qa/evaluations", apis.EvaluationsApi.as_view(), name="api-qa-evaluations"),
    path("qa/reports", apis.QualityReportApi.as_view(), name="api-qa-reports"),
    path("qa/sampling-rules", apis.SamplingRulesApi.as_view(), name="api-qa-sampling-rules"),
    path("qa/sampling-rules/<int:pk>", apis.SamplingRulesApi.as_view(), name="api-qa-sampling-rule"),
    path("qa/work-items", apis.WorkItemsApi.as_view(), name="api-qa-work-items"),
    path("qa/calibrations", apis.CalibrationsApi.as_view(), name="api-qa-calibrations"),
    path("qa/calibrations/<int:pk>", apis.CalibrationsApi.as_view(), name="api-qa-calibration"),
    path("qa/work-items/<int:pk>/start", apis.WorkItemsApi.as_view(), name="api-qa-work-item-start"),
    path("qa/evaluations/<int:pk>", apis.EvaluationApi.as_view(), name="api-qa-evaluation"),
    path("qa/evaluations/<int:pk>/<str:action>", apis.EvaluationApi.as_view(), name="api-qa-evaluation-action"),
]

urlpatterns = [
    path("api/v1/", include(api_urlpatterns)),
    path("quality/", views.evaluations_page, name="quality"),
    path("quality/evaluations/<int:pk>/", views.evaluation_page, name="quality-evaluation"),
    path("quality/forms/", form_views.forms_page, name="quality-forms"),
    path("quality/forms/new/", form_views.form_editor_page, name="quality-form-new"),
    path("quality/forms/<int:pk>/", form_views.form_editor_page, name="quality-form"),
    path("quality/calibrations/", views.calibration_page, name="quality-calibrations"),
    path("quality/calibrations/<int:pk>/", views.calibration_page, name="quality-calibration"),
]
