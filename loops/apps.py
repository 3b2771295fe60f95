from django.apps import AppConfig


class LoopsConfig(AppConfig):
    name = "loops"
    verbose_name = "Loops"

    def ready(self) -> None:
        from loops import receivers
        from surveys.signals import response_analysed, response_saved

        response_analysed.connect(receivers.on_response_analysed, dispatch_uid="loops.response_analysed")
        response_saved.connect(receivers.on_response_saved, dispatch_uid="loops.response_saved")
