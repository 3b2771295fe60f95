from django.contrib import admin

from surveys.models import (
    Account,
    Answer,
    Contact,
    CxTerm,
    Event,
    FrequencyRule,
    ImportJob,
    Invitation,
    LabelledComment,
    OutboxMessage,
    Question,
    Response,
    SegmentRevenueBand,
    Survey,
    TextModel,
    Theme,
    TriggerRule,
)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("external_id", "name", "email", "role", "opted_out")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "external_id", "segment", "region", "owner", "outcome")
    list_filter = ("segment", "region", "outcome")
    search_fields = ("name", "external_id", "domain")
    autocomplete_fields = ("owner",)
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "account", "role", "opted_out", "undeliverable_at")
    list_filter = ("opted_out",)
    search_fields = ("name", "email", "external_id")
    raw_id_fields = ("account",)


@admin.register(SegmentRevenueBand)
class SegmentRevenueBandAdmin(admin.ModelAdmin):
    list_display = ("segment", "min_revenue", "max_revenue")


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = (
        ("position", "kind", "required"),
        "text",
        ("text_detractor", "text_passive", "text_promoter"),
        "help_text",
        "choices",
    )


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("name", "touchpoint", "status", "expiry_days", "reminder_count", "min_gap_days")
    list_filter = ("status", "touchpoint")
    inlines = [QuestionInline]
    fieldsets = (
        (None, {"fields": ("name", "touchpoint", "status", "closes_at")}),
        ("Pages", {"fields": ("intro", "thank_you")}),
        ("Email", {"fields": ("email_subject", "email_intro", "from_name", "from_email", "reply_to")}),
        ("Timing", {"fields": ("expiry_days", "reminder_count", "reminder_interval_days", "min_gap_days")}),
    )


@admin.register(TriggerRule)
class TriggerRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "event_type", "survey", "delay_minutes", "active")
    list_filter = ("active", "event_type")


@admin.register(FrequencyRule)
class FrequencyRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "active", "days", "limit", "start_hour", "end_hour")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("external_id", "type", "contact", "source", "received_at")
    list_filter = ("type", "source")
    search_fields = ("external_id",)
    raw_id_fields = ("contact", "account")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: an invitation's life (sent, opened, answered, expired, withdrawn) goes through the
    services, which keep its emails, reminders and response in step; a status set here by hand would
    not (an answered invitation set back to "opened" would hide its stored answer from the survey
    page). Withdraw one through the API (`POST /api/v1/invitations/<id>/cancel`)."""

    list_display = ("survey", "contact", "status", "suppressed_by", "scheduled_for", "sent_at", "reminders_sent")
    list_filter = ("status", "suppressed_by", "survey")
    raw_id_fields = ("contact", "account", "event")
    exclude = ("token_hash", "token_nonce")

    def has_add_permission(self, request: object) -> bool:  # type: ignore[override]
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:  # type: ignore[override]
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("to_email", "kind", "sequence", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    raw_id_fields = ("invitation",)


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    readonly_fields = ("question", "number", "choices", "text")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Read-only, and without the contact or invitation: consent decides who may see a name,
    and the staff response pages are where it is shown when allowed."""

    list_display = ("pk", "survey", "account", "score", "score_band", "consent_to_attribution", "created_at")
    list_filter = ("score_band", "survey", "consent_to_attribution")
    exclude = ("invitation", "contact")
    readonly_fields = (
        "survey",
        "account",
        "touchpoint",
        "score_kind",
        "score",
        "score_band",
        "comment",
        "consent_to_attribution",
        "submitted",
        "edits",
    )
    inlines = [AnswerInline]

    def has_add_permission(self, request: object) -> bool:  # type: ignore[override]
        return False

    def has_delete_permission(self, request: object, obj: Response | None = None) -> bool:  # type: ignore[override]
        # Its invitation would stay answered without a response: the response rate counts the
        # status. Erasing a customer deletes the contact, which takes invitations and responses.
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("filename", "kind", "status", "created_by", "created_at")
    exclude = ("content",)


@admin.register(CxTerm)
class CxTermAdmin(admin.ModelAdmin):
    """The customer-experience lexicon added to VADER. Run reanalyze_responses after changing it."""

    list_display = ("term", "valence")
    search_fields = ("term",)
    list_editable = ("valence",)


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "discovered", "description")
    list_filter = ("active", "discovered")
    search_fields = ("name", "description")


@admin.register(LabelledComment)
class LabelledCommentAdmin(admin.ModelAdmin):
    list_display = ("text", "negative", "theme", "source", "created_at")
    list_filter = ("source", "negative")
    search_fields = ("text",)
    raw_id_fields = ("response",)


@admin.register(TextModel)
class TextModelAdmin(admin.ModelAdmin):
    list_display = ("version", "kind", "active", "training_size", "created_at")
    list_filter = ("kind", "active")
    exclude = ("blob",)
    readonly_fields = ("kind", "version", "metrics", "training_size", "created_at")
