"""Assignment rules: who gets a new lead (crm.assignment)."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Notification
from crm.assignment import Assigner, customers_assign_by_rules, lead_owner
from crm.lead_imports import lead_import_commit, lead_import_start
from crm.models import AssignmentRule, Customer, LeadImport
from tests.factories import (
    BranchFactory,
    CourseFactory,
    CustomerFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/kingadmin/crm/customer/"


def _sales(name, campus=None):
    role = RoleFactory(
        permissions=Permission.objects.filter(codename="view_own_customers")
    )
    return UserFactory(username=name, display_name=name, campus=campus, roles=[role])


def _rule(name, members, **fields):
    rule = AssignmentRule.objects.create(name=name, **fields)
    rule.members.set(members)
    return rule


@pytest.fixture
def campus():
    return BranchFactory(name="北京校区")


@pytest.fixture
def team(campus):
    return [_sales(f"sales_{n}", campus) for n in "abc"]


@pytest.fixture
def stand_in(campus):
    return UserFactory(username="owner", display_name="前台", campus=campus)


def test_round_robin_gives_leads_in_turn_and_remembers_the_turn(campus, team, stand_in):
    rule = _rule("轮流", team, campus=campus)
    owners = [
        lead_owner(campus=campus, course=None, source="website", fallback=stand_in)
        for _ in range(4)
    ]
    assert [a.consultant.username for a in owners] == [
        "sales_a",
        "sales_b",
        "sales_c",
        "sales_a",
    ]
    assert not any(a.unassigned for a in owners)
    rule.refresh_from_db()
    assert rule.last_member == team[0]


def test_least_loaded_gives_the_lead_to_who_holds_fewest(campus, team, stand_in):
    _rule("负载", team, campus=campus, strategy=AssignmentRule.Strategy.LEAST_LOADED)
    CustomerFactory.create_batch(3, consultant=team[0])
    CustomerFactory.create_batch(1, consultant=team[1])
    CustomerFactory.create_batch(2, consultant=team[2])
    # Enrolled customers and public-pool leads are no load.
    CustomerFactory.create_batch(5, consultant=team[1], status="enrolled")
    assigner = Assigner(fallback=stand_in)
    got = [
        assigner.owner(
            campus_id=campus.pk, course_id=None, source="qq_group"
        ).consultant.username
        for _ in range(4)
    ]
    assigner.finish()
    # b holds 1, then 2 (ties go to the lower id: b before c), c 2, then a...
    assert got == ["sales_b", "sales_b", "sales_c", "sales_a"]


def test_the_most_specific_rule_applies_first(campus, team, stand_in):
    python = CourseFactory(name="Python")
    _rule("校区", [team[0]], campus=campus, priority=1)
    _rule("百度 Python", [team[1]], campus=campus, course=python, source="baidu_ads")
    _rule("百度", [team[2]], source="baidu_ads")

    def owner(**kwargs):
        return lead_owner(fallback=stand_in, **kwargs).consultant.username

    assert owner(campus=campus, course=python, source="baidu_ads") == "sales_b"
    assert owner(campus=campus, course=None, source="baidu_ads") == "sales_a"
    assert owner(campus=None, course=None, source="baidu_ads") == "sales_c"
    # No rule at all: the stand-in owner, not flagged.
    other = lead_owner(campus=None, course=None, source="zhihu", fallback=stand_in)
    assert (other.consultant, other.unassigned, other.rule) == (stand_in, False, None)


def test_inactive_rules_and_members_are_skipped(campus, team, stand_in):
    _rule("停用", [team[0]], campus=campus, is_active=False, priority=1)
    team[1].is_active = False
    team[1].save()
    _rule("在用", team[1:], campus=campus, priority=2)
    got = {
        lead_owner(
            campus=campus, course=None, source="website", fallback=stand_in
        ).consultant.username
        for _ in range(3)
    }
    assert got == {"sales_c"}


def test_members_at_the_cap_are_passed_over_then_the_next_rule_then_nobody(
    settings, campus, team, stand_in
):
    settings.CRM_PRIVATE_POOL_CAP = 2
    manager = UserFactory(username="manager", display_name="经理")
    _rule("第一组", team[:2], campus=campus, manager=manager)
    _rule("第二组", [team[2]], manager=manager)
    CustomerFactory.create_batch(2, consultant=team[0])
    CustomerFactory.create_batch(1, consultant=team[1])
    CustomerFactory.create_batch(1, consultant=team[2])

    assigner = Assigner(fallback=stand_in)
    got = [
        assigner.owner(campus_id=campus.pk, course_id=None, source="website")
        for _ in range(4)
    ]
    assigner.finish()
    assert [a.consultant.username for a in got] == [
        "sales_b",  # a is full
        "sales_c",  # b is full now: the next rule
        "owner",
        "owner",
    ]
    assert [a.unassigned for a in got] == [False, False, True, True]
    # The manager of the first rule that matched is told once, with the count.
    note = Notification.objects.get(recipient=manager)
    assert note.text.startswith("2 new leads could not be assigned")
    assert "unassigned=1" in note.link


def test_nobody_can_take_without_a_manager_tells_the_stand_in(
    settings, campus, team, stand_in
):
    settings.CRM_PRIVATE_POOL_CAP = 1
    _rule("满员", [team[0]], campus=campus)
    CustomerFactory(consultant=team[0])
    assigned = lead_owner(
        campus=campus, course=None, source="website", fallback=stand_in
    )
    assert assigned.unassigned and assigned.consultant == stand_in
    assert Notification.objects.filter(recipient=stand_in).count() == 1


def test_many_leads_cost_a_constant_number_of_queries(
    campus, team, stand_in, django_assert_max_num_queries
):
    _rule("轮流", team, campus=campus)
    _rule("负载", team, strategy=AssignmentRule.Strategy.LEAST_LOADED, priority=5)
    with django_assert_max_num_queries(6):
        assigner = Assigner(fallback=stand_in)
        for index in range(300):
            assigner.owner(
                campus_id=campus.pk if index % 2 else None,
                course_id=None,
                source="website",
            )
        assigner.finish()


def test_bulk_assignment_by_the_rules_moves_leads_and_flags_the_rest(
    settings, campus, team, stand_in
):
    settings.CRM_PRIVATE_POOL_CAP = 3
    _rule("轮流", team[:2], campus=campus)
    leads = CustomerFactory.create_batch(4, consultant=stand_in, unassigned=True)
    CustomerFactory.create_batch(2, consultant=team[0])
    CustomerFactory.create_batch(2, consultant=team[1])
    counts = customers_assign_by_rules(
        customers=Customer.objects.filter(pk__in=[c.pk for c in leads]),
        by=stand_in,
    )
    assert counts == {"moved": 2, "unassigned": 2}
    owners = sorted(
        Customer.objects.filter(pk__in=[c.pk for c in leads]).values_list(
            "consultant__username", "unassigned"
        )
    )
    assert owners == [
        ("owner", True),
        ("owner", True),
        ("sales_a", False),
        ("sales_b", False),
    ]


def test_a_manager_giving_a_lead_clears_the_unassigned_flag(superuser, campus, team):
    lead = CustomerFactory(consultant=superuser, unassigned=True)
    from django.test import Client

    client = Client()
    client.force_login(superuser)
    response = client.get(LIST, {"unassigned": "1"})
    assert str(lead.qq) in response.content.decode()
    client.post(
        LIST,
        {
            "action": "reassign",
            "_selected_action": [lead.pk],
            "post": "yes",
            "to": team[0].pk,
        },
    )
    lead.refresh_from_db()
    assert (lead.consultant, lead.unassigned) == (team[0], False)
    response = client.get(LIST, {"unassigned": "1"})
    assert str(lead.qq) not in response.content.decode()


def test_the_assign_by_rules_action_on_the_customer_list(superuser, campus, team):
    superuser.campus = campus
    superuser.save()
    _rule("轮流", team[:2], campus=campus)
    leads = CustomerFactory.create_batch(3, consultant=superuser, unassigned=True)
    from django.test import Client

    client = Client()
    client.force_login(superuser)
    response = client.post(
        LIST,
        {"action": "assign_by_rules", "_selected_action": [c.pk for c in leads]},
        follow=True,
    )
    assert "3 leads were given by the rules." in response.content.decode()
    assert sorted(
        Customer.objects.filter(pk__in=[c.pk for c in leads]).values_list(
            "consultant__username", flat=True
        )
    ) == ["sales_a", "sales_a", "sales_b"]


def test_an_import_with_the_rules_shares_its_leads(
    campus, team, stand_in, django_capture_on_commit_callbacks
):
    _rule("轮流", team, campus=campus)
    text = "姓名,手机,来源\n" + "".join(
        f"学员{i},1380013{i:04d},官方网站\n" for i in range(6)
    )
    upload = SimpleUploadedFile("leads.csv", text.encode(), "text/csv")
    lead_import = lead_import_start(
        upload=upload,
        by=stand_in,
        consultant=stand_in,
        default_source="website",
        use_rules=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        lead_import_commit(lead_import=lead_import)
    lead_import.refresh_from_db()
    assert (lead_import.state, lead_import.created) == (LeadImport.State.DONE, 6)
    owners = list(
        Customer.objects.filter(lead_import=lead_import)
        .order_by("phone")
        .values_list("consultant__username", flat=True)
    )
    assert owners == ["sales_a", "sales_b", "sales_c"] * 2
