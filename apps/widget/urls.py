from django.urls import path

from . import apis, views

urlpatterns = [
    path("api/v1/widget-keys", apis.WidgetKeyListApi.as_view(), name="api-widget-keys"),
    path("api/v1/widget-keys/<int:pk>", apis.WidgetKeyDetailApi.as_view(), name="api-widget-key"),
    path("widget.js", views.loader, name="widget-loader"),
    path("widget/frame/", views.frame, name="widget-frame"),
    path("widget/check/", views.check, name="widget-check"),
    path("widget/upload/", views.upload, name="widget-upload"),
    path("inbox/attachments/<int:pk>", views.attachment_download, name="attachment"),
]
