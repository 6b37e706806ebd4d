"""Template helpers of the tuition ledger: amounts in capitals, account links."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.db.models import QuerySet
from django.urls import reverse

register = template.Library()

DIGITS = "零壹贰叁肆伍陆柒捌玖"
# Within a group of four digits, from the thousands down.
PLACES = ("仟", "佰", "拾", "")
# Groups of four digits, from the lowest up.
GROUPS = ("", "万", "亿", "万亿")


def _group(number: int) -> str:
    """Return 1 to 9999 in capitals, with a 零 for each run of inner zeros."""
    text, zero = "", False
    for place, digit in zip(PLACES, f"{number:04d}", strict=True):
        if digit == "0":
            zero = bool(text)
            continue
        if zero:
            text += DIGITS[0]
            zero = False
        text += DIGITS[int(digit)] + place
    return text


def rmb_capital(amount) -> str:
    """Return ``amount`` in yuan as Chinese capital numerals (大写), as on receipts.

    The banks' rules for writing amounts: 12000 is 壹万贰仟元整, 1001.50 is
    壹仟零壹元伍角, 100.05 is 壹佰元零伍分; whole yuan end with 整.
    """
    cents = int((Decimal(amount) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    sign = "负" if cents < 0 else ""
    cents = abs(cents)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if yuan >= 10 ** (4 * len(GROUPS)):
        raise ValueError(f"{amount} is too large to write in capitals.")
    groups = []
    rest = yuan
    while rest:
        groups.append(rest % 10000)
        rest //= 10000
    text, pending_zero = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if not group:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or group < 1000):
            text += DIGITS[0]
        text += _group(group) + GROUPS[index]
        pending_zero = False
    if yuan:
        text += "元"
    if not jiao and not fen:
        return sign + (text or "零元") + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    if fen:
        if yuan and not jiao:
            text += DIGITS[0]
        text += DIGITS[fen] + "分"
    return sign + text


register.filter("rmb_capital", rmb_capital)


@register.simple_tag(takes_context=True)
def finance_account_url(context, enrollment) -> str:
    """Return the URL of ``enrollment``'s account, or "" if the user may not open it.

    Decided like a request of the page (the rules, then their row scope);
    the enrollments of the same customer are scoped together, once per page.
    """
    from crm.models import Enrollment
    from kingadmin.permissions import registry

    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return ""
    decision = registry.decide(request.user, url_name="finance:enrollment")
    if not decision:
        return ""
    cache = context.render_context.setdefault("finance_account_ids", {})
    key = enrollment.customer_id
    if key not in cache:
        rows: QuerySet | None = decision.restrict(
            request, Enrollment.objects.filter(customer_id=key)
        )
        cache[key] = None if rows is None else set(rows.values_list("pk", flat=True))
    allowed = cache[key]
    if allowed is not None and enrollment.pk not in allowed:
        return ""
    return reverse("finance:enrollment", args=[enrollment.pk])
