"""CSV imports started from the staff app, tracked so their progress can be shown.

The uploaded file is kept in the row, not on local disk, because the worker
that validates and commits it may run on another machine.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        ACCOUNTS = "accounts", _("Accounts")
        CONTACTS = "contacts", _("Contacts")

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Checking the file")
        READY = "ready", _("Ready to import")
        INVALID = "invalid", _("The file has errors")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.VALIDATING)
    filename = models.CharField(max_length=255)
    content = models.TextField(help_text=_("The uploaded CSV, decoded as UTF-8."))
    options = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    notices = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A task checking or importing the file touches ``heartbeat_at`` as it goes; a job waiting or
    # running whose heartbeat fell silent lost its task (broker or worker), and the sweeper queues it
    # again. ``attempts`` counts the tasks that started the current step, so a file that stops its
    # worker every time fails instead of being retried for ever.
    heartbeat_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))
