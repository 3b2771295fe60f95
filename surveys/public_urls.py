"""Public survey pages, reached from an email link; no login."""

from django.urls import path

from surveys.views import public

app_name = "public"

urlpatterns = [
    path("<str:token>/", public.survey, name="survey"),
    path("<str:token>/thanks/", public.thanks, name="thanks"),
    path("<str:token>/unsubscribe/", public.unsubscribe, name="unsubscribe"),
]
