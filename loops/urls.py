from django.urls import path

from loops.reports.views import archive as report_archive
from loops.reports.views import dashboards as report_dashboards
from loops.views import detail, health, notifications, queue

app_name = "loops"

urlpatterns = [
    path("", queue.loop_index, name="loop_list"),
    path("<int:pk>/", detail.loop_detail, name="loop_detail"),
    path("<int:pk>/watch/", detail.loop_watch, name="loop_watch"),
    path("<int:pk>/<slug:action>/", detail.loop_action, name="loop_action"),
    path("steps/<int:pk>/", detail.step_update, name="step_update"),
    path("overrides/", notifications.override_index, name="override_list"),
    path("overrides/<int:pk>/review/", notifications.override_review, name="override_review"),
    path("health/", health.health_index, name="health_list"),
    path("health/<int:pk>/", health.account_health, name="account_health"),
    path("health/<int:pk>/recompute/", health.account_health_recompute, name="account_health_recompute"),
    path("notifications/", notifications.notification_index, name="notification_list"),
    path("notifications/read/", notifications.notification_read, name="notification_read"),
    path("reports/", report_archive.report_index, name="report_index"),
    path("reports/feedback/", report_dashboards.feedback_dashboard, name="report_feedback"),
    path("reports/accountability/", report_dashboards.accountability_dashboard, name="report_accountability"),
    path("reports/advocacy/", report_dashboards.advocacy_dashboard, name="report_advocacy"),
    path("reports/targets/", report_dashboards.targets_dashboard, name="report_targets"),
    path("reports/responses/", report_dashboards.response_drilldown, name="report_responses"),
    path("reports/loops/", report_dashboards.loop_drilldown, name="report_loops"),
    path("reports/export/responses/", report_dashboards.response_export, name="report_response_export"),
    path("reports/export/loops/", report_dashboards.loop_export, name="report_loop_export"),
    path("reports/archive/<int:pk>/", report_archive.report_detail, name="report_detail"),
    path("reports/archive/<int:pk>/status/", report_archive.report_status, name="report_status"),
    path("reports/archive/<int:pk>/pdf/", report_archive.report_download, name="report_download"),
    path("reports/schedules/<int:pk>/send/", report_archive.schedule_send, name="schedule_send"),
    path("reports/accounts/<int:pk>/pdf/", report_archive.account_report, name="account_report"),
]
