"""API keys: made by admins, shown once, stored as a SHA-256 hash, scoped, expiring, revocable.

A key reads `voc_<prefix>_<secret>`. The prefix is stored in clear to tell keys apart in
lists; the whole key is looked up by its hash, so the database never holds a usable key.
Clients send it as `Authorization: Bearer <key>`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework import authentication, exceptions

from vocplatform.models import ApiKey, User
from vocplatform.throttling import client_ip
from vocplatform.visibility import is_staff_member

if TYPE_CHECKING:
    from rest_framework.request import Request

KEY_START = "voc_"
REPEAT_WINDOW = dt.timedelta(minutes=1)
# Writing last use on every request would turn each read into a write; once a minute is enough to see use.
LAST_USE_RESOLUTION = dt.timedelta(seconds=60)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    api_key: ApiKey
    key: str  # shown once, then gone


@transaction.atomic
def apikey_create(*, name: str, user: User, scopes: Sequence[str], expires_at: dt.datetime, created_by: User) -> NewKey:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["Name the system that will use the key."]
    unknown = sorted(set(scopes) - set(ApiKey.Scope.values))
    if not scopes or unknown:
        errors["scopes"] = [f"Choose one or more of: {', '.join(ApiKey.Scope.values)}."]
    if expires_at <= timezone.now():
        errors["expires_at"] = ["The expiry must be in the future."]
    if not is_staff_member(user):
        errors["user"] = ["The key must act as an active staff member."]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    key = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    # The same key asked for again within a minute is the form sent twice (a double click): the
    # browser shows only the second answer, so the first key, never seen by anyone, is revoked.
    # The person's row is locked, so that two such requests at once see each other.
    User.objects.select_for_update().filter(pk=user.pk).first()
    ApiKey.objects.filter(
        name=name.strip(),
        user=user,
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        created_by=created_by,
        revoked_at__isnull=True,
        created_at__gte=now - REPEAT_WINDOW,
    ).update(revoked_at=now, revoked_by=created_by)
    api_key = ApiKey.objects.create(
        name=name.strip(),
        user=user,
        prefix=prefix,
        key_hash=key_hash(key),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        created_by=created_by,
    )
    return NewKey(api_key=api_key, key=key)


def apikey_revoke(*, api_key_id: int, actor: User) -> bool:
    """Revoke at once; False if it was already revoked."""
    return bool(
        ApiKey.objects.filter(pk=api_key_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        )
    )


def apikey_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("user", "created_by", "revoked_by").order_by("-created_at", "-pk")


def apikey_usable(api_key: ApiKey, now: dt.datetime) -> str | None:
    """Why the key cannot be used now, or None."""
    if api_key.revoked_at is not None:
        return "This API key has been revoked."
    if api_key.expires_at <= now:
        return "This API key has expired."
    if not is_staff_member(api_key.user):
        return "The person this API key acts for is no longer active staff."
    return None


def _address(text: str) -> str | None:
    """An IP address the column can hold, or None (a proxy may forward anything)."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _record_use(api_key: ApiKey, ip: str | None, now: dt.datetime) -> None:
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION)
    ApiKey.objects.filter(stale, pk=api_key.pk).update(last_used_at=now, last_used_ip=ip)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: the session may still authenticate the request
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the key as `Authorization: Bearer <key>`.")
        try:
            key = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The API key is not valid.") from None
        api_key = ApiKey.objects.select_related("user").filter(key_hash=key_hash(key)).first()
        if api_key is None:
            raise exceptions.AuthenticationFailed("The API key is not valid.")
        now = timezone.now()
        refusal = apikey_usable(api_key, now)
        if refusal:
            raise exceptions.AuthenticationFailed(refusal)
        _record_use(api_key, _address(client_ip(request)), now)  # behind DJANGO_TRUSTED_PROXIES, the caller's
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str | None:
        # A request that presented a key and failed gets 401 with the challenge. One that presented
        # nothing gets 403 "not_authenticated" (DRF's answer when no challenge is named), which is what
        # the API has always answered to anonymous callers.
        if authentication.get_authorization_header(request):
            return f'{self.keyword} realm="api"'
        return None
