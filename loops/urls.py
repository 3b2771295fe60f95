from django.urls import path

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
]
