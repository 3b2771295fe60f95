"""The peer's URLs, mounted as its README shows."""

from django.urls import include, path

urlpatterns = [path("survey/", include("survey.urls"))]
