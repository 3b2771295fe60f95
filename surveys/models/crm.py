"""The CRM mirror: accounts and their contacts, upserted by external id."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from vocplatform.models import validate_time_zone


class Account(models.Model):
    class Outcome(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        RETAINED = "retained", _("Retained")
        CHURNED = "churned", _("Churned")

    external_id = models.CharField(max_length=120, unique=True, help_text=_("The account's id in the CRM."))
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, help_text=_("Email domain of the company, e.g. acme.com."))
    segment = models.CharField(max_length=60, blank=True, db_index=True)
    region = models.CharField(max_length=60, blank=True, db_index=True)
    business_unit = models.CharField(max_length=80, blank=True)
    product_lines = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
        help_text=_("The account manager responsible for this account."),
    )
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    customer_since = models.DateField(null=True, blank=True)
    renewal_date = models.DateField(null=True, blank=True)
    churned_at = models.DateField(null=True, blank=True)
    outcome = models.CharField(
        max_length=10,
        choices=Outcome.choices,
        default=Outcome.UNKNOWN,
        help_text=_("Known churn outcome, used to train the churn model."),
    )
    custom_attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(external_id=""), name="account_external_id_not_blank"),
            models.CheckConstraint(
                condition=models.Q(annual_revenue__isnull=True) | models.Q(annual_revenue__gte=0),
                name="account_revenue_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["owner", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_churned(self) -> bool:
        return self.outcome == self.Outcome.CHURNED or self.churned_at is not None


class Contact(models.Model):
    external_id = models.CharField(max_length=120, unique=True, null=True, blank=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=80, blank=True)
    locale = models.CharField(max_length=20, default="en")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    opted_out = models.BooleanField(default=False)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    undeliverable_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Set when an email to this address bounced or was marked as spam.")
    )
    custom_attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), "account", name="contact_email_unique_per_account"),
            # The full check is the form/serializer/importer's EmailValidator; this is the backstop.
            models.CheckConstraint(condition=models.Q(email__contains="@"), name="contact_email_has_at"),
            models.CheckConstraint(
                condition=models.Q(opted_out=False) | models.Q(opted_out_at__isnull=False),
                name="contact_opt_out_dated",
            ),
        ]
        indexes = [models.Index(Lower("email"), name="contact_email_lower")]

    def __str__(self) -> str:
        return self.name or self.email


class SegmentRevenueBand(models.Model):
    """Which annual revenue a segment is expected to have (CRM hygiene: misclassified accounts)."""

    segment = models.CharField(max_length=60, unique=True)
    min_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    max_revenue = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, help_text=_("Exclusive upper bound; empty for none.")
    )

    class Meta:
        ordering = ["min_revenue"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_revenue__isnull=True)
                | models.Q(max_revenue__isnull=True)
                | models.Q(min_revenue__lt=models.F("max_revenue")),
                name="band_min_below_max",
            )
        ]

    def __str__(self) -> str:
        return f"{self.segment}: {self.min_revenue or 0} to {self.max_revenue or '∞'}"
