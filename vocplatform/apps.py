from django.apps import AppConfig


class VocplatformConfig(AppConfig):
    name = "vocplatform"
    verbose_name = "Staff and teams"

    def ready(self) -> None:
        from surveys.signals import response_analysed, response_saved
        from vocplatform import api_schema  # noqa: F401 - registers the API key scheme with drf-spectacular
        from vocplatform.webhooks import receivers

        response_saved.connect(receivers.on_response_saved, dispatch_uid="webhooks.response_saved")
        response_analysed.connect(receivers.on_response_analysed, dispatch_uid="webhooks.response_analysed")
