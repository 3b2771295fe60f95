from __future__ import annotations

import ipaddress

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from vocplatform.models import (
    ApiKey,
    Heartbeat,
    Team,
    User,
    WebhookAllowedNetwork,
    WebhookDelivery,
    WebhookSubscription,
)


class AllowedNetworkForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WebhookAllowedNetwork
        fields = ["network", "note"]

    def clean_network(self) -> str:
        try:
            return str(ipaddress.ip_network(self.cleaned_data["network"].strip(), strict=False))
        except ValueError:
            raise forms.ValidationError("Enter an IP address or a CIDR range such as 10.1.2.0/24.") from None


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Role", {"fields": ("role", "team", "time_zone")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("Role", {"fields": ("email", "role", "team")}))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "supervisor")
    search_fields = ("name",)


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "last_seen", "beats")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Read-only here: keys are made on the staff page, which shows the key once."""

    list_display = ("name", "prefix", "user", "scopes", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    readonly_fields = [f.name for f in ApiKey._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WebhookAllowedNetwork)
class WebhookAllowedNetworkAdmin(admin.ModelAdmin):
    """The private networks webhooks may reach (everything else non-public is refused)."""

    list_display = ("network", "note")
    form = AllowedNetworkForm


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("url", "event_types", "active", "created_at")
    exclude = ("secret",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "subscription", "status", "attempts", "last_status_code", "next_attempt_at", "created_at")
    list_filter = ("status",)
    list_select_related = ("subscription",)
