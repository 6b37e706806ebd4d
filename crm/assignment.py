"""Who gets a new lead: the assignment rules (crm.AssignmentRule).

A rule names a sales group and how the group shares leads: **in turn**
(round-robin, after whoever got the last one) or **the fewest private
leads first** (least-loaded). It applies to leads of its campus, course and
source; an empty criterion matches anything. For a lead, the matching active
rules are tried from the most specific (most criteria set) to the least,
then by priority: the first rule with a member who can take the lead gives
it. A member can take a lead while they hold fewer not-enrolled private
leads than ``CRM_PRIVATE_POOL_CAP`` (the cap of the ownership rules,
crm.pool) and their account is active.

A lead no matching rule could place goes to the caller's stand-in owner
(the lead form's owner, the importer's chosen owner) flagged *unassigned*,
and the rule's manager (or, without one, the stand-in) is told; a lead no
rule matches at all simply goes to the stand-in, unflagged: that is the
configured owner of the form or import.

``Assigner`` places many leads with a constant number of queries (rules
and members once, the members' loads once; loads then counted in memory),
which an import of ten thousand rows needs; ``lead_owner`` places one.
Round-robin positions are saved by ``Assigner.finish``; the rules' rows are
locked meanwhile, so two captures at once do not give the same turn twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils.translation import ngettext

from accounts.models import User
from accounts.services import notification_send
from crm.models import AssignmentRule, Customer


@dataclass(frozen=True)
class Assigned:
    """The owner chosen for one lead."""

    consultant: User
    unassigned: bool = False
    rule: AssignmentRule | None = None


def _specificity(rule: AssignmentRule) -> int:
    return (
        (rule.campus_id is not None) + (rule.course_id is not None) + bool(rule.source)
    )


class Assigner:
    """Place leads by the rules; call ``finish`` once done (in the transaction)."""

    def __init__(self, *, fallback: User, lock: bool = True):
        self.fallback = fallback
        rules = AssignmentRule.objects.filter(is_active=True).prefetch_related(
            "members"
        )
        if lock:
            rules = rules.select_for_update(of=("self",))
        self.rules = sorted(rules, key=lambda r: (-_specificity(r), r.priority, r.pk))
        self.members = {
            rule.pk: sorted(
                (user for user in rule.members.all() if user.is_active),
                key=lambda user: user.pk,
            )
            for rule in self.rules
        }
        member_ids = {user.pk for users in self.members.values() for user in users}
        self.load: Counter[int] = Counter(
            dict(
                Customer.objects.filter(
                    consultant_id__in=member_ids,
                    pool=Customer.Pool.PRIVATE,
                    status=Customer.Status.NOT_ENROLLED,
                )
                .values_list("consultant_id")
                .annotate(n=Count("pk"))
                .order_by()
            )
            if member_ids
            else {}
        )
        self.cap = settings.CRM_PRIVATE_POOL_CAP
        self.last = {rule.pk: rule.last_member_id for rule in self.rules}
        self.unplaced: dict[int | None, int] = defaultdict(int)
        self._managers = {rule.pk: rule.manager_id for rule in self.rules}

    def _can_take(self, user: User) -> bool:
        return not self.cap or self.load[user.pk] < self.cap

    def _pick(self, rule: AssignmentRule) -> User | None:
        members = [user for user in self.members[rule.pk] if self._can_take(user)]
        if not members:
            return None
        if rule.strategy == AssignmentRule.Strategy.LEAST_LOADED:
            return min(members, key=lambda user: (self.load[user.pk], user.pk))
        last = self.last[rule.pk]
        after = [user for user in members if last is None or user.pk > last]
        return (after or members)[0]

    def owner(
        self, *, campus_id: int | None, course_id: int | None, source: str
    ) -> Assigned:
        """Return who gets a lead of this campus, course and source."""
        matched = None
        for rule in self.rules:
            if (
                (rule.campus_id is None or rule.campus_id == campus_id)
                and (rule.course_id is None or rule.course_id == course_id)
                and (not rule.source or rule.source == source)
            ):
                matched = matched or rule
                user = self._pick(rule)
                if user is not None:
                    self.load[user.pk] += 1
                    self.last[rule.pk] = user.pk
                    return Assigned(consultant=user, rule=rule)
        if matched is None:
            return Assigned(consultant=self.fallback)
        self.unplaced[self._managers[matched.pk]] += 1
        return Assigned(consultant=self.fallback, unassigned=True, rule=matched)

    def finish(self, *, link: str = "") -> None:
        """Save the round-robin turns; tell managers of the leads nobody took."""
        for rule in self.rules:
            if self.last[rule.pk] != rule.last_member_id:
                AssignmentRule.objects.filter(pk=rule.pk).update(
                    last_member_id=self.last[rule.pk]
                )
                rule.last_member_id = self.last[rule.pk]
        managers = {
            user.pk: user
            for user in User.objects.filter(pk__in=[pk for pk in self.unplaced if pk])
        }
        for manager_id, count in self.unplaced.items():
            notification_send(
                recipient=managers.get(manager_id, self.fallback),
                text=ngettext(
                    "%(count)d new lead could not be assigned: every sales of its "
                    "rule holds as many leads as allowed. It waits for you, "
                    "flagged unassigned.",
                    "%(count)d new leads could not be assigned: every sales of "
                    "their rule holds as many leads as allowed. They wait for you, "
                    "flagged unassigned.",
                    count,
                )
                % {"count": count},
                link=link or _unassigned_list_url(),
            )
        self.unplaced.clear()


def _unassigned_list_url() -> str:
    from crm.pool import customer_list_url

    return customer_list_url(unassigned="1")


@transaction.atomic
def lead_owner(*, campus, course, source: str, fallback: User) -> Assigned:
    """Return who gets one new lead (and tell a manager if nobody could)."""
    assigner = Assigner(fallback=fallback)
    assigned = assigner.owner(
        campus_id=getattr(campus, "pk", campus),
        course_id=getattr(course, "pk", course),
        source=source,
    )
    assigner.finish()
    return assigned


@transaction.atomic
def customers_assign_by_rules(*, customers, by: User) -> dict[str, int]:
    """Give each lead to whom the rules say (a manager's bulk move).

    A lead's campus is its current owner's campus. Leads no rule could place
    stay with their owner, flagged unassigned. Return the counts
    ``{"moved": ..., "unassigned": ...}``.
    """
    from crm.pool import customers_reassign

    assigner = Assigner(fallback=by)
    targets: dict[int, list[int]] = defaultdict(list)
    users: dict[int, User] = {}
    flagged: list[int] = []
    for customer in customers.select_related("consultant"):
        assigned = assigner.owner(
            campus_id=customer.consultant.campus_id,
            course_id=customer.consult_course_id,
            source=customer.source,
        )
        if assigned.unassigned:
            flagged.append(customer.pk)
        elif assigned.rule is not None:
            targets[assigned.consultant.pk].append(customer.pk)
            users[assigned.consultant.pk] = assigned.consultant
    # A lead nobody could take keeps its owner: the manager was told.
    assigner.unplaced.clear()
    assigner.finish()
    moved = 0
    for user_pk, ids in targets.items():
        moved += customers_reassign(
            customers=Customer.objects.filter(pk__in=ids), to=users[user_pk], by=by
        )
    Customer.objects.filter(pk__in=flagged).update(unassigned=True)
    return {"moved": moved, "unassigned": len(flagged)}


def assignment_message(counts: dict[str, int]) -> str:
    """Return the message a manager sees after assigning leads by the rules."""
    text = ngettext(
        "%(count)d lead was given by the rules.",
        "%(count)d leads were given by the rules.",
        counts["moved"],
    ) % {"count": counts["moved"]}
    if counts["unassigned"]:
        text += " " + ngettext(
            "%(count)d lead found nobody who could take it and is flagged unassigned.",
            "%(count)d leads found nobody who could take them and are flagged "
            "unassigned.",
            counts["unassigned"],
        ) % {"count": counts["unassigned"]}
    return text
