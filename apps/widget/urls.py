from django.urls import path

from . import views

urlpatterns = [
    path("widget.js", views.loader, name="widget-loader"),
    path("widget/frame/", views.frame, name="widget-frame"),
    path("widget/upload/", views.upload, name="widget-upload"),
    path("inbox/attachments/<int:pk>", views.attachment_download, name="attachment"),
]
