from django.apps import AppConfig


class VocplatformConfig(AppConfig):
    name = "vocplatform"
    verbose_name = "Staff and teams"
