"""Where admins edit what closing the loop runs on: alert rules, SLA policies, calendars and
holidays, escalation levels, root causes, health components and bands. Loops themselves are worked in the staff app."""

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from loops.models import (
    AlertRule,
    ChurnModelVersion,
    DistributionList,
    EscalationLevel,
    GeneratedReport,
    HealthComponent,
    HealthSettings,
    Holiday,
    Loop,
    LoopEvent,
    PolicyOverride,
    Recipient,
    ReportSchedule,
    RootCause,
    SlaPolicy,
    Target,
    WorkCalendar,
)


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "active", "action", "priority", "sla_policy")
    list_editable = ("position", "active")
    filter_horizontal = ("extra_recipients",)
    fieldsets = (
        (None, {"fields": ("name", "active", "position")}),
        (
            "Conditions (all that are filled must hold)",
            {
                "fields": (
                    "score_bands",
                    "negative_flag",
                    "themes",
                    "keywords",
                    "segments",
                    "min_revenue",
                    "touchpoints",
                )
            },
        ),
        (
            "Action",
            {
                "fields": (
                    "action",
                    "priority",
                    "sla_policy",
                    "fallback_team",
                    "followup_survey",
                    "notify_owner",
                    "extra_recipients",
                )
            },
        ),
    )


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(WorkCalendar)
class WorkCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "workdays", "day_start", "day_end")
    inlines = [HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "first_contact_hours", "resolution_hours", "counting", "calendar", "warn_hours")


@admin.register(EscalationLevel)
class EscalationLevelAdmin(admin.ModelAdmin):
    list_display = ("level", "delay_hours", "recipient", "user")


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "active")
    list_editable = ("active",)


class LoopEventInline(admin.TabularInline):
    model = LoopEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "actor", "action", "field", "before", "after")


@admin.register(Loop)
class LoopAdmin(admin.ModelAdmin):
    """Read-only here: changes go through the staff app, which records them and enforces the rules."""

    list_display = ("pk", "account", "owner", "status", "priority", "first_contact_due_at", "escalation_level")
    list_filter = ("status", "priority", "escalation_level")
    search_fields = ("account__name",)
    inlines = [LoopEventInline]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(PolicyOverride)
class PolicyOverrideAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "actor", "loop", "reviewed_by")
    list_filter = ("kind",)
    readonly_fields = ("loop", "kind", "actor", "reason", "detail", "at", "reviewed_by", "reviewed_at")


@admin.register(HealthComponent)
class HealthComponentAdmin(admin.ModelAdmin):
    list_display = ("label", "key", "kind", "weight", "active", "attribute", "zero_at", "hundred_at")
    list_editable = ("weight", "active")


@admin.register(HealthSettings)
class HealthSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "red_below", "green_from")


@admin.register(ChurnModelVersion)
class ChurnModelVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "active", "created_at")
    list_editable = ("active",)
    exclude = ("blob",)
    readonly_fields = ("version", "report", "features", "created_at")


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("metric", "segment", "period_start", "period_end", "value")
    list_filter = ("metric", "segment")
    date_hierarchy = "period_start"


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "user", "active")
    list_editable = ("active",)
    search_fields = ("name", "email")


class ReportScheduleInline(admin.TabularInline):
    model = ReportSchedule
    extra = 0
    fields = ("name", "kind", "rendered_as", "team", "account", "weekday", "time", "period_days", "active")
    raw_id_fields = ("account",)


@admin.register(DistributionList)
class DistributionListAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone")
    filter_horizontal = ("recipients",)
    inlines = (ReportScheduleInline,)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Each schedule saved as on its own page (schedule_save), never with run times read before
        # the due check claimed a run.
        for schedule in formset.save(commit=False):
            schedule_save(schedule, change=schedule.pk is not None)
        for gone in formset.deleted_objects:
            gone.delete()
        formset.save_m2m()
        if change and "time_zone" in form.changed_data:
            # A changed zone takes effect from the next run: the due check re-arms a schedule whose
            # next run is cleared. A run already due, not yet claimed, is still made.
            ReportSchedule.objects.filter(distribution_list=form.instance).filter(
                Q(next_run_at__isnull=True) | Q(next_run_at__gt=timezone.now())
            ).update(next_run_at=None)


# What decides when a schedule runs.
SCHEDULE_TIMING = ("weekday", "time", "active", "distribution_list_id")


def schedule_save(obj: ReportSchedule, *, change: bool) -> None:
    """Save a schedule an admin edited with the run times the due check wrote (the page may have
    read them before it claimed a run), re-armed only when the timing changed and never past a
    run already due."""
    from loops.reports.distribution import next_run_armed

    with transaction.atomic():
        current = ReportSchedule.objects.select_for_update().filter(pk=obj.pk).first() if change else None
        if current is not None:
            obj.last_run_at, obj.next_run_at = current.last_run_at, current.next_run_at
        now = timezone.now()
        timing = current is None or any(getattr(obj, f) != getattr(current, f) for f in SCHEDULE_TIMING)
        due = obj.next_run_at is not None and obj.next_run_at <= now
        if not obj.active:
            obj.next_run_at = None
        elif timing and not due:
            obj.next_run_at = next_run_armed(obj, now)
        obj.save()


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "distribution_list", "weekday", "time", "next_run_at", "last_run_at", "active")
    list_filter = ("kind", "active")
    raw_id_fields = ("account",)
    readonly_fields = ("next_run_at", "last_run_at")

    def save_model(self, request: HttpRequest, obj: ReportSchedule, form: Any, change: bool) -> None:
        schedule_save(obj, change=change)


@admin.register(GeneratedReport)
class GeneratedReportAdmin(admin.ModelAdmin):
    """The archive, read-only: reports are made by schedules and by staff on the Reports page."""

    list_display = ("title", "kind", "rendered_as", "status", "pages", "created_at", "emailed_at")
    list_filter = ("kind", "status")
    exclude = ("pdf",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
