"""Alert rules: which analysed responses open a loop (or only notify), and for whom.

Runs after analysis commits (the `response_analysed` signal). The first active rule that
matches acts. Opening is idempotent: the loop's one-to-one link to its response means a
second analysis, a redelivered task or a concurrent worker finds the loop already there.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from loops.models import AlertCheck, AlertRule, Loop
from loops.services import timeline
from loops.services.notifications import notify
from loops.services.sla import deadlines_for
from loops.services.webhooks import emit_loop_opened
from surveys.models import Account, Response, ResponseAnalysis
from vocplatform.models import User
from vocplatform.visibility import visible

logger = logging.getLogger(__name__)


def _any_word(comment: str, keywords: list[str]) -> bool:
    lowered = comment.casefold()
    return any(word.casefold() in lowered for word in keywords if word.strip())


def rule_matches(rule: AlertRule, response: Response, analysis: ResponseAnalysis | None) -> bool:
    """Every non-empty condition must hold; a list condition holds when any of its values does."""
    account = response.account
    theme_names = {t.get("name") for t in analysis.themes} if analysis else set()
    checks = (
        not rule.score_bands or response.score_band in rule.score_bands,
        rule.negative_flag is None or (analysis is not None and analysis.negative == rule.negative_flag),
        not rule.themes or bool(theme_names & set(rule.themes)),
        not rule.keywords or _any_word(response.comment, rule.keywords),
        not rule.segments or account.segment in rule.segments,
        rule.min_revenue is None or (account.annual_revenue is not None and account.annual_revenue >= rule.min_revenue),
        not rule.touchpoints or response.touchpoint in rule.touchpoints,
    )
    return all(checks)


def rule_for(response: Response, analysis: ResponseAnalysis | None) -> AlertRule | None:
    for rule in AlertRule.objects.filter(active=True).select_related("sla_policy__calendar"):
        if rule_matches(rule, response, analysis):
            return rule
    return None


def _is_follow_up(response: Response) -> bool:
    # A follow-up answers an existing loop; it is recorded there, not turned into a new loop.
    return Loop.objects.filter(followup_invitation_id=response.invitation_id).exists()


def response_alert(*, response_id: int, now: dt.datetime | None = None) -> Loop | None:
    """Apply the alert rules to one analysed response. Returns its loop, new or existing."""
    response = Response.objects.select_related("account__owner__team", "contact").filter(pk=response_id).first()
    if response is None:
        return None
    analysis = ResponseAnalysis.objects.filter(response=response).first()
    loop = _act(response, analysis, now or timezone.now())
    if analysis is not None:
        AlertCheck.objects.update_or_create(
            response=response, defaults={"analysed_at": analysis.analysed_at, "checked_at": timezone.now()}
        )
    return loop


def _act(response: Response, analysis: ResponseAnalysis | None, now: dt.datetime) -> Loop | None:
    existing = Loop.objects.filter(response=response).first()
    if existing is not None or _is_follow_up(response):
        return existing
    rule = rule_for(response, analysis)
    if rule is None:
        return None
    if rule.action == AlertRule.Action.NOTIFY:
        _notify_only(rule, response)
        return None
    return loop_open(response=response, rule=rule, analysis=analysis, now=now)


def _notify_only(rule: AlertRule, response: Response) -> None:
    """Tell the rule's people of the answer; only those who may see its account (no loop to watch)."""
    recipients: list[User | None] = list(rule.extra_recipients.all())
    if rule.notify_owner:
        recipients.append(response.account.owner)
    account = Account.objects.filter(pk=response.account_id)
    notify(
        recipients=[user for user in recipients if user is not None and visible(account, user).exists()],
        key=f"alert:{rule.pk}:{response.pk}",
        kind="alert",
        text=f"{rule.name}: {response.account.name} answered {response.survey.touchpoint or 'a survey'}",
    )


def loop_open(
    *, response: Response, rule: AlertRule, analysis: ResponseAnalysis | None, now: dt.datetime | None = None
) -> Loop:
    """Open the loop for a response (`now` lets a loader place it in the past)."""
    assert rule.sla_policy is not None
    now = now or timezone.now()
    owner = response.account.owner if response.account.owner and response.account.owner.is_active else None
    deadlines = deadlines_for(rule.sla_policy, now)
    reason = analysis.reason if analysis and analysis.reason else rule.name
    try:
        with transaction.atomic():
            loop = Loop.objects.create(
                response=response,
                account=response.account,
                rule=rule,
                owner=owner,
                queue_team=None if owner else rule.fallback_team,
                priority=rule.priority,
                sla_policy=rule.sla_policy,
                reason_for_engagement=reason[:200],
                opened_at=now,
                **deadlines.__dict__,
            )
            timeline.record(loop, actor=None, action="opened", after=f"by rule “{rule.name}”", at=now)
    except IntegrityError:
        # Another worker opened it between our check and our insert.
        return Loop.objects.get(response=response)
    transaction.on_commit(lambda: emit_loop_opened(loop_id=loop.pk), robust=True)
    # The rule's extra recipients follow the loops it opens: they watch them, so they may open the
    # loop they are told about (and hear when it closes).
    extras = [user for user in rule.extra_recipients.all() if user.is_active]
    loop.watchers.add(*extras)
    recipients: list[User | None] = list(extras)
    if rule.notify_owner:
        recipients.append(owner)
        if owner is None and loop.queue_team is not None:
            recipients.append(loop.queue_team.supervisor)
    notify(
        recipients=recipients,
        key=f"loop-opened:{loop.pk}",
        kind="loop_opened",
        text=f"New loop for {response.account.name}: {reason}"[:300],
        loop=loop,
        now=now,
    )
    logger.debug("loop %s opened for response %s by rule %s", loop.pk, response.pk, rule.pk)
    return loop


def responses_awaiting_alert(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Responses analysed in the last day (but not within SWEEP_GRACE_SECONDS, whose task is probably
    still queued) whose latest analysis the rules have not seen: their alert task was lost.
    Re-running the rules is harmless: a response opens at most one loop."""
    now = now or timezone.now()
    return list(
        Response.objects.filter(
            Q(alert_check__isnull=True) | Q(alert_check__analysed_at__lt=F("analysis__analysed_at")),
            analysis__analysed_at__range=(
                now - dt.timedelta(days=1),
                now - dt.timedelta(seconds=settings.SWEEP_GRACE_SECONDS),
            ),
        )
        .order_by("analysis__analysed_at")
        .values_list("pk", flat=True)[:limit]
    )
