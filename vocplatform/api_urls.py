from django.urls import path

from surveys import api as surveys_api

app_name = "api"

urlpatterns = [
    path("events", surveys_api.EventsView.as_view(), name="events"),
    path("bounces", surveys_api.BouncesView.as_view(), name="bounces"),
]
