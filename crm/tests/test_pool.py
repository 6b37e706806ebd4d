"""Lead ownership: private pools, the public pool, claims, releases, fall-back."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Notification
from crm.models import Customer, CustomerFollowUp
from crm.pool import (
    ClaimLost,
    PoolCapReached,
    customer_claim,
    customer_release,
    customers_fall_back,
)
from crm.services import followup_add
from kingadmin.models import ChangeLog
from tests.concurrency import postgres_only, run_at_once
from tests.factories import CustomerFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

SALES_PERMS = [
    "view_own_customers",
    "work_stale_customers",
    "change_own_customers",
    "add_customer",
    "view_course",
]
LIST = "/kingadmin/crm/customer/"


def sales_user(name, *extra):
    role = RoleFactory(
        permissions=Permission.objects.filter(codename__in=[*SALES_PERMS, *extra])
    )
    return UserFactory(username=name, display_name=name, roles=[role])


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def idle_lead(owner, days=40, **fields):
    """A private lead of ``owner`` nobody worked for ``days`` days."""
    return CustomerFactory(
        consultant=owner,
        created_at=days_ago(days),
        last_activity_at=days_ago(days),
        **fields,
    )


def public_lead(last_owner, days=45, **fields):
    lead = idle_lead(last_owner, days, **fields)
    customers_fall_back()
    lead.refresh_from_db()
    assert lead.pool == "public"
    return lead


def names(response):
    return sorted(row.obj.name for row in response.context["rows"])


def test_a_new_lead_is_never_in_the_public_pool(client):
    owner, other = sales_user("owner"), sales_user("other")
    fresh = CustomerFactory(consultant=owner, name="刚录入", last_followup_at=None)
    assert customers_fall_back() == 0
    fresh.refresh_from_db()
    assert fresh.pool == "private"
    client.force_login(other)
    assert names(client.get(LIST, {"pool": "public"})) == []
    assert client.get(f"/crm/customers/{fresh.pk}/").status_code == 403


def test_an_idle_lead_falls_back_its_owner_is_told_and_history_records_it():
    owner = sales_user("owner")
    old = idle_lead(owner, 31, name="一个月没跟进")
    followed = idle_lead(owner, 60, name="上周跟进过")
    followup_add(customer=followed, by=owner, content="电话沟通", intention="no_plan")
    enrolled = idle_lead(owner, 90, name="已报名", status="enrolled")
    call_command("crm_pool_fallback", stdout=open("/dev/null", "w"))  # noqa: SIM115
    pools = dict(Customer.objects.values_list("name", "pool"))
    assert pools == {
        "一个月没跟进": "public",
        "上周跟进过": "private",
        "已报名": "private",
    }
    old.refresh_from_db()
    assert old.consultant == owner and old.pooled_at is not None
    entry = ChangeLog.objects.get(object_id=str(old.pk))
    assert entry.user is None
    assert {
        "field": "pool",
        "label": "pool",
        "old": "Private pool",
        "new": "Public pool",
    } in entry.changes
    note = Notification.objects.get(recipient=owner)
    assert "一个月没跟进" in note.text and "public pool" in note.text
    # Running again moves nothing more and tells nobody again.
    assert customers_fall_back() == 0
    assert Notification.objects.filter(recipient=owner).count() == 1
    assert enrolled.pool == "private"


def test_the_public_pool_lists_leads_sorted_by_idle_days_and_shows_them(client):
    owner, b = sales_user("owner"), sales_user("sales_b")
    public_lead(owner, 35, name="35天")
    public_lead(owner, 80, name="80天")
    idle_lead(b, 5, name="B自己的")
    client.force_login(b)
    response = client.get(LIST, {"pool": "public"})
    rows = response.context["rows"]
    assert [row.obj.name for row in rows] == ["80天", "35天"]
    html = response.content.decode()
    assert "idle days" in html.lower()
    cells = [
        cell["value"] for cell in rows[0].cells if cell["column"].name == "idle_days"
    ]
    assert cells == [80]
    # The filter "not followed up for more than a month" keeps the pool's scope.
    stale = client.get(LIST, {"pool": "public", "stale": "60"})
    assert names(stale) == ["80天"]
    # "My customers" lists only B's own private leads.
    assert names(client.get(LIST, {"mine": "1"})) == ["B自己的"]
    assert names(client.get(LIST)) == ["B自己的"]


def test_scenario_5_claim_follow_up_and_convert_and_the_lead_stays_bs(client):
    owner, b = sales_user("sales_a"), sales_user("sales_b")
    lead = public_lead(owner, 40, name="老线索")
    client.force_login(b)
    page = client.get(f"/crm/customers/{lead.pk}/").content.decode()
    assert 'data-testid="claim"' in page and 'data-testid="claim-first"' in page
    # The page offers no follow-up before the claim; a crafted post is refused.
    assert f'action="/crm/customers/{lead.pk}/followups/"' not in page
    response = client.post(
        f"/crm/customers/{lead.pk}/followups/",
        {"content": "试图跟进", "intention": "1_month"},
    )
    assert response.status_code == 403
    assert not CustomerFollowUp.objects.filter(customer=lead).exists()
    response = client.post(f"/crm/customers/{lead.pk}/claim/", follow=True)
    assert "is now in your private pool" in response.content.decode()
    lead.refresh_from_db()
    assert (lead.consultant, lead.pool, lead.pooled_at) == (b, "private", None)
    assert Notification.objects.filter(
        recipient=owner, text__contains="老线索"
    ).exists()
    response = client.post(
        f"/crm/customers/{lead.pk}/followups/",
        {"content": "已报名 S9", "intention": "enrolled"},
        follow=True,
    )
    assert "The follow-up was recorded." in response.content.decode()
    lead.refresh_from_db()
    assert lead.consultant == b and lead.pool == "private"
    assert names(client.get(LIST, {"mine": "1"})) == ["老线索"]
    # The protection starts again: the lead does not fall back tomorrow.
    assert customers_fall_back(now=timezone.now() + timedelta(days=1)) == 0


def test_a_claim_lost_to_a_faster_colleague_names_them():
    owner, b, c = UserFactory(), UserFactory(display_name="销售B"), UserFactory()
    lead = public_lead(owner)
    stale_copy = Customer.objects.get(pk=lead.pk)
    customer_claim(customer=lead, by=b)
    with pytest.raises(ClaimLost) as error:
        customer_claim(customer=stale_copy, by=c)
    assert error.value.owner == b
    assert "销售B was faster" in error.value.messages[0]


def test_the_cap_limits_the_leads_one_sales_may_hold(settings, client):
    settings.CRM_PRIVATE_POOL_CAP = 2
    owner, b = sales_user("owner"), sales_user("sales_b")
    idle_lead(b, 1)
    idle_lead(b, 1)
    idle_lead(b, 1, status="enrolled")  # students do not count
    lead = public_lead(owner)
    with pytest.raises(PoolCapReached):
        customer_claim(customer=lead, by=b)
    client.force_login(b)
    response = client.post(f"/crm/customers/{lead.pk}/claim/", follow=True)
    assert "the most allowed (2)" in response.content.decode()
    lead.refresh_from_db()
    assert lead.pool == "public"


def test_an_owner_releases_a_lead_and_only_their_own(client):
    owner, other = sales_user("owner"), sales_user("other")
    lead = idle_lead(owner, 1, name="放回公海")
    client.force_login(other)
    assert client.post(f"/crm/customers/{lead.pk}/release/").status_code == 403
    client.force_login(owner)
    client.post(f"/crm/customers/{lead.pk}/release/")
    lead.refresh_from_db()
    assert lead.pool == "public" and lead.consultant == owner
    with pytest.raises(Exception):  # noqa: B017 - not releasable twice
        customer_release(customer=lead, by=owner)


def test_claiming_from_the_list_with_the_action(client):
    owner, b = sales_user("owner"), sales_user("sales_b")
    leads = [public_lead(owner, 40 + i, name=f"公海{i}") for i in range(3)]
    mine = idle_lead(b, 1)
    client.force_login(b)
    response = client.post(
        LIST + "?pool=public",
        {"action": "claim", "_selected_action": [leads[0].pk, leads[1].pk, mine.pk]},
        follow=True,
    )
    assert "2 leads are now in your private pool." in response.content.decode()
    assert set(Customer.objects.filter(consultant=b, pool="private")) == {
        leads[0],
        leads[1],
        mine,
    }


def test_a_manager_gives_leads_to_a_sales_both_are_told(client):
    manager = sales_user(
        "manager", "view_customer", "change_customer", "view_staff_users"
    )
    a, b = sales_user("sales_a"), sales_user("sales_b")
    leads = [idle_lead(a, 3, name="甲"), public_lead(a, 50, name="乙")]
    client.force_login(manager)
    page = client.post(
        LIST, {"action": "reassign", "_selected_action": [x.pk for x in leads]}
    )
    offered = set(page.context["form"].fields["to"].queryset)
    assert {a, b} <= offered
    client.post(
        LIST,
        {
            "action": "reassign",
            "_selected_action": [x.pk for x in leads],
            "post": "yes",
            "to": b.pk,
        },
    )
    for lead in leads:
        lead.refresh_from_db()
        assert (lead.consultant, lead.pool) == (b, "private")
    assert Notification.objects.filter(recipient=b, text__contains="2 leads").exists()
    assert Notification.objects.filter(recipient=a, text__contains="sales_b").exists()
    assert ChangeLog.objects.filter(object_id=str(leads[1].pk), user=manager).exists()


def test_sales_cannot_reassign(client):
    a, b = sales_user("sales_a"), sales_user("sales_b")
    lead = idle_lead(a, 1)
    client.force_login(a)
    response = client.post(
        LIST,
        {
            "action": "reassign",
            "_selected_action": [lead.pk],
            "post": "yes",
            "to": b.pk,
        },
    )
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.consultant == a


def test_only_the_owner_follows_up_or_sends_a_link():
    from django.core.exceptions import ValidationError

    from crm.services import enrollment_link_create
    from tests.factories import ClassListFactory

    owner, other = UserFactory(), UserFactory()
    lead = idle_lead(owner, 1)
    for attempt in (
        lambda: followup_add(customer=lead, by=other, content="x", intention="no_plan"),
        lambda: enrollment_link_create(
            customer=lead, class_list=ClassListFactory(), by=other
        ),
    ):
        with pytest.raises(ValidationError):
            attempt()
    lead.refresh_from_db()
    assert lead.consultant == owner


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_sales_claiming_one_lead_at_once_exactly_one_wins():
    owner, b, c = UserFactory(), UserFactory(), UserFactory()
    lead = public_lead(owner)

    def claim(user):
        return lambda: customer_claim(
            customer=Customer.objects.get(pk=lead.pk), by=user
        )

    results = run_at_once(claim(b), claim(c))
    won = [r for r in results if isinstance(r, Customer)]
    lost = [r for r in results if isinstance(r, ClaimLost)]
    assert len(won) == 1 and len(lost) == 1, results
    lead.refresh_from_db()
    assert lead.consultant == won[0].consultant == lost[0].owner
    # One history entry for the fall-back, one for the winning claim.
    assert ChangeLog.objects.filter(object_id=str(lead.pk)).count() == 2


def test_saving_a_new_lead_lands_on_its_page(client):
    sales = sales_user("sales_a")
    client.force_login(sales)
    response = client.post(
        "/kingadmin/crm/customer/add/",
        {"name": "新线索", "qq": "55667788", "source": "baidu_ads", "_save": ""},
    )
    lead = Customer.objects.get(qq="55667788")
    assert response.status_code == 302
    assert response.url == f"/crm/customers/{lead.pk}/"
    assert (lead.consultant, lead.pool) == (sales, "private")
