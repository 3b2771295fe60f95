"""Accounts and contacts: read what the caller may see; upsert by external id, one or in bulk (CX admins).

Upserts go through the CSV importer's service (`import_apply`), so the API and the import change
records by the same rules: only the fields sent change, custom attributes merge, a churn date
marks the account churned, an opt-out is dated. A batch is all or nothing, with errors by position.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import django_filters
from django.db import IntegrityError
from django.db.models import QuerySet
from django.db.models.functions import Lower
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from surveys.models import Account, Contact
from surveys.selectors.crm import account_get, account_list, contact_get, contact_list
from surveys.services import import_fields
from surveys.services.imports import ImportPlan, ImportRefused, ImportResult, PlannedRow, import_apply
from vocplatform.api_fields import JSONObjectField, UsernameField
from vocplatform.api_filters import DateTimeFilter, IdFilter
from vocplatform.models import User, validate_time_zone
from vocplatform.permissions import AdminForWrites, HasScope, IsStaffUser

MAX_BULK = 1000
WRITE_PERMISSIONS = [IsStaffUser, HasScope, AdminForWrites]


class AccountSerializer(serializers.ModelSerializer):
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Account
        fields = [
            "id",
            "external_id",
            "name",
            "domain",
            "segment",
            "region",
            "business_unit",
            "product_lines",
            "owner",
            "annual_revenue",
            "customer_since",
            "renewal_date",
            "churned_at",
            "outcome",
            "custom_attributes",
            "created_at",
            "updated_at",
        ]


class AccountUpsertSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=120, help_text="The account's id in your CRM: the upsert key.")
    name = serializers.CharField(max_length=200, required=False, help_text="Defaults to the external id when new.")
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    segment = serializers.CharField(max_length=60, required=False, allow_blank=True)
    region = serializers.CharField(max_length=60, required=False, allow_blank=True)
    business_unit = serializers.CharField(max_length=80, required=False, allow_blank=True)
    product_lines = serializers.ListField(child=serializers.CharField(max_length=80), required=False, max_length=100)
    owner = UsernameField(required=False, allow_null=True, help_text="Username or email of the account manager.")
    annual_revenue = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    customer_since = serializers.DateField(required=False, allow_null=True)
    renewal_date = serializers.DateField(required=False, allow_null=True)
    churned_at = serializers.DateField(required=False, allow_null=True)
    outcome = serializers.ChoiceField(choices=Account.Outcome.choices, required=False)
    custom_attributes = JSONObjectField(required=False, help_text="Merged into the stored attributes.")

    def validate_domain(self, value: str) -> str:
        """As the CSV import reads it: "https://www.Acme.com/" is acme.com."""
        try:
            return import_fields.domain(value) if value else value
        except ValueError as refused:
            raise serializers.ValidationError(str(refused)) from None


class ContactSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    undeliverable = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "external_id",
            "account",
            "account_external_id",
            "name",
            "email",
            "role",
            "locale",
            "time_zone",
            "opted_out",
            "opted_out_at",
            "undeliverable",
            "custom_attributes",
            "created_at",
            "updated_at",
        ]

    def get_undeliverable(self, contact: Contact) -> bool:
        return contact.undeliverable_at is not None


class ContactUpsertSerializer(serializers.Serializer):
    account_external_id = serializers.CharField(max_length=120)
    email = serializers.EmailField(max_length=254)
    external_id = serializers.CharField(
        max_length=120, required=False, allow_blank=True, help_text="Matched first; else the email within the account."
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    role = serializers.CharField(max_length=80, required=False, allow_blank=True)
    locale = serializers.CharField(max_length=20, required=False)
    time_zone = serializers.CharField(max_length=64, required=False, validators=[validate_time_zone])
    opted_out = serializers.BooleanField(required=False)
    custom_attributes = JSONObjectField(required=False, help_text="Merged into the stored attributes.")


def _bulk_serializer(name: str, child: type[serializers.Serializer]) -> type[serializers.Serializer]:
    field = child(many=True, allow_empty=False, max_length=MAX_BULK)  # type: ignore[call-arg]
    return type(f"{child.__name__.removesuffix('Serializer')}BulkSerializer", (serializers.Serializer,), {name: field})


AccountBulkSerializer = _bulk_serializer("accounts", AccountUpsertSerializer)
ContactBulkSerializer = _bulk_serializer("contacts", ContactUpsertSerializer)


class UpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


def _refuse(name: str, errors: dict[int, dict[str, list[str]]], bulk: bool) -> serializers.ValidationError:
    if bulk:
        return serializers.ValidationError({name: {str(position): e for position, e in sorted(errors.items())}})
    return serializers.ValidationError(errors[0])


def _positions(serializer: serializers.Serializer, name: str) -> dict[int, Any]:
    """A batch's errors by position (DRF lists them with an empty entry for each good item)."""
    errors = serializer.errors.get(name)
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return {position: error for position, error in enumerate(errors) if error}
    return {}


def _validated(
    request: Request, single: type[serializers.Serializer], bulk: type[serializers.Serializer], name: str
) -> list[dict[str, Any]]:
    serializer = bulk(data=request.data) if name else single(data=request.data)
    if not serializer.is_valid():
        by_position = _positions(serializer, name) if name else {}
        if by_position:
            raise _refuse(name, by_position, bulk=True)
        raise serializers.ValidationError(serializer.errors)
    return list(serializer.validated_data[name]) if name else [dict(serializer.validated_data)]


def _apply(kind: str, rows: list[PlannedRow], bulk: bool) -> ImportResult:
    plan = ImportPlan(kind, {}, {}, rows, [], [], rows_total=len(rows))  # type: ignore[arg-type]
    try:
        return import_apply(plan=plan)
    except ImportRefused as refused:
        # Found while matching items to stored records (two items for one contact, say): each on
        # its item and field, as the checks above report theirs. An item's "line" is its position.
        errors: dict[int, dict[str, list[str]]] = {}
        for error in refused.plan.errors:
            message = error.message.replace("as line ", "as item ")
            errors.setdefault(error.line, {}).setdefault(error.column, []).append(message)
        raise _refuse(kind, errors, bulk) from None
    except IntegrityError:
        # The checks above catch the conflicts we know of; a concurrent writer may still win a race.
        raise serializers.ValidationError(
            {"non_field_errors": ["This conflicts with a record stored meanwhile; send it again."]}
        ) from None


def accounts_upsert(items: list[dict[str, Any]], bulk: bool) -> ImportResult:
    repeats = [position for position, n in _repeats([item["external_id"] for item in items]).items() if n]
    if repeats:
        raise _refuse("accounts", {p: {"external_id": ["Repeats an earlier item."]} for p in repeats}, bulk)
    rows = []
    for position, item in enumerate(items):
        custom = item.pop("custom_attributes", {})
        rows.append(PlannedRow(line=position, values=item, custom=custom))
    return _apply("accounts", rows, bulk)


def _repeats(keys: list[Any]) -> dict[int, int]:
    seen: Counter[Any] = Counter()
    found = {}
    for position, key in enumerate(keys):
        if key is not None:
            found[position] = seen[key]
            seen[key] += 1
    return found


def _contact_rows(items: list[dict[str, Any]]) -> tuple[list[PlannedRow], dict[int, dict[str, list[str]]]]:
    accounts = {
        a.external_id: a for a in Account.objects.filter(external_id__in={i["account_external_id"] for i in items})
    }
    emails = {(i["account_external_id"], i["email"].lower()) for i in items}
    by_email = {
        (c.account.external_id, c.email_key): c.pk  # type: ignore[attr-defined]
        for c in Contact.objects.annotate(email_key=Lower("email"))
        .filter(account__external_id__in=list(accounts), email_key__in=[e for _a, e in emails])
        .select_related("account")
    }
    ids = [i.get("external_id") or None for i in items]
    by_external = dict(Contact.objects.filter(external_id__in=[x for x in ids if x]).values_list("external_id", "pk"))
    errors: dict[int, dict[str, list[str]]] = {}
    for position, n in _repeats(ids).items():
        if n:
            errors[position] = {"external_id": ["Repeats an earlier item."]}
    for position, n in _repeats([(i["account_external_id"], i["email"].lower()) for i in items]).items():
        if n:
            errors.setdefault(position, {})["email"] = ["Repeats an earlier item of the same account."]
    rows = []
    for position, item in enumerate(items):
        account = accounts.get(item["account_external_id"])
        if account is None:
            errors.setdefault(position, {})["account_external_id"] = ["No account has this external id."]
            continue
        matched = by_external.get(ids[position])
        holder = by_email.get((account.external_id, item["email"].lower()))
        if matched is not None and holder is not None and holder != matched:
            errors.setdefault(position, {})["email"] = ["Another contact of this account has this email."]
        values = {k: v for k, v in item.items() if k not in ("account_external_id", "custom_attributes", "external_id")}
        if ids[position]:
            values["external_id"] = ids[position]
        rows.append(
            PlannedRow(line=position, values={**values, "account": account}, custom=item.get("custom_attributes", {}))
        )
    return rows, errors


def contacts_upsert(items: list[dict[str, Any]], bulk: bool) -> ImportResult:
    rows, errors = _contact_rows(items)
    if errors:
        raise _refuse("contacts", errors, bulk)
    return _apply("contacts", rows, bulk)


class AccountFilter(django_filters.FilterSet):
    owner = django_filters.CharFilter(field_name="owner__username", help_text="The owner's username.")
    updated_after = DateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Account
        fields = ["external_id", "segment", "region", "outcome", "owner", "updated_after"]


class AccountListView(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = AccountSerializer
    filterset_class = AccountFilter

    def get_queryset(self) -> QuerySet[Account]:
        return account_list(viewer=self.request.user)  # type: ignore[arg-type]


class AccountDetailView(generics.RetrieveAPIView):  # type: ignore[type-arg]
    serializer_class = AccountSerializer

    def get_object(self) -> Account:
        return account_get(viewer=self.request.user, pk=self.kwargs["pk"])  # type: ignore[arg-type]


class AccountUpsertView(generics.GenericAPIView):  # type: ignore[type-arg]
    """Create or update one account by external id; only the fields sent change."""

    permission_classes = WRITE_PERMISSIONS
    serializer_class = AccountUpsertSerializer

    @extend_schema(responses={201: AccountSerializer, 200: OpenApiResponse(AccountSerializer, "Updated or unchanged.")})
    def post(self, request: Request) -> Response:
        [item] = _validated(request, AccountUpsertSerializer, AccountBulkSerializer, "")
        result = accounts_upsert([item], bulk=False)
        account = Account.objects.select_related("owner").get(external_id=item["external_id"])
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(AccountSerializer(account).data, status=code)


class AccountBulkView(generics.GenericAPIView):  # type: ignore[type-arg]
    """Upsert up to 1,000 accounts, all or nothing; errors are keyed by position."""

    permission_classes = WRITE_PERMISSIONS
    serializer_class = AccountBulkSerializer

    @extend_schema(responses={200: UpsertResultSerializer})
    def post(self, request: Request) -> Response:
        items = _validated(request, AccountUpsertSerializer, AccountBulkSerializer, "accounts")
        return Response(UpsertResultSerializer(accounts_upsert(items, bulk=True)).data)


class ContactFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    account_external_id = django_filters.CharFilter(field_name="account__external_id")
    email = django_filters.CharFilter(lookup_expr="iexact")
    updated_after = DateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Contact
        fields = ["external_id", "account", "account_external_id", "email", "opted_out", "updated_after"]


class ContactListView(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = ContactSerializer
    filterset_class = ContactFilter

    def get_queryset(self) -> QuerySet[Contact]:
        return contact_list(viewer=self.request.user)  # type: ignore[arg-type]


class ContactDetailView(generics.RetrieveAPIView):  # type: ignore[type-arg]
    serializer_class = ContactSerializer

    def get_object(self) -> Contact:
        return contact_get(viewer=self.request.user, pk=self.kwargs["pk"])  # type: ignore[arg-type]


class ContactUpsertView(generics.GenericAPIView):  # type: ignore[type-arg]
    """Create or update one contact: matched by external id, else by email within the account."""

    permission_classes = WRITE_PERMISSIONS
    serializer_class = ContactUpsertSerializer

    @extend_schema(responses={201: ContactSerializer, 200: OpenApiResponse(ContactSerializer, "Updated or unchanged.")})
    def post(self, request: Request) -> Response:
        [item] = _validated(request, ContactUpsertSerializer, ContactBulkSerializer, "")
        result = contacts_upsert([dict(item)], bulk=False)
        stored = Contact.objects.select_related("account")
        if item.get("external_id"):
            contact = stored.get(external_id=item["external_id"])
        else:
            # Matched in Python, as the import matched it: SQLite's LOWER() folds ASCII letters only.
            email = item["email"].lower()
            account_contacts = stored.filter(account__external_id=item["account_external_id"])
            contact = next(c for c in account_contacts.iterator() if c.email.lower() == email)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(ContactSerializer(contact).data, status=code)


class ContactBulkView(generics.GenericAPIView):  # type: ignore[type-arg]
    """Upsert up to 1,000 contacts, all or nothing; errors are keyed by position."""

    permission_classes = WRITE_PERMISSIONS
    serializer_class = ContactBulkSerializer

    @extend_schema(responses={200: UpsertResultSerializer})
    def post(self, request: Request) -> Response:
        items = _validated(request, ContactUpsertSerializer, ContactBulkSerializer, "contacts")
        return Response(UpsertResultSerializer(contacts_upsert(items, bulk=True)).data)
