"""Merging two customers who are one person, and undoing it (crm.merge)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from crm.merge import (
    customer_merge,
    customer_merge_undo,
    duplicate_candidates,
)
from crm.models import (
    Customer,
    CustomerFollowUp,
    CustomerMerge,
    Enrollment,
    LeadForm,
    LeadSubmission,
    Payment,
    PersonalDataAccess,
)
from crm.search import customer_search_q
from finance.ledger import verify
from finance.models import LedgerEntry
from finance.services import payment_record, terms_at_approval
from kingadmin.models import ChangeLog
from kingadmin.permissions import registry
from tests.factories import (
    BranchFactory,
    ClassListFactory,
    CustomerFactory,
    EnrollmentFactory,
    FollowUpFactory,
    RoleFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _permissions(*perms):
    from django.contrib.auth.models import Permission

    found = []
    for perm in perms:
        app_label, codename = perm.split(".")
        found.append(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return found


@pytest.fixture
def manager():
    role = RoleFactory(
        name="merging managers",
        permissions=_permissions(
            "crm.merge_customers",
            "crm.work_all_customers",
            "crm.view_customer",
            "crm.view_customermerge",
        ),
    )
    return UserFactory(username="boss", roles=[role])


@pytest.fixture
def sales():
    role = RoleFactory(
        name="plain sales",
        permissions=_permissions("crm.view_own_customers", "crm.work_stale_customers"),
    )
    return UserFactory(username="seller", roles=[role])


def _fields(customer: Customer) -> dict:
    customer = Customer.objects.get(pk=customer.pk)
    data = {
        f.attname: getattr(customer, f.attname) for f in customer._meta.concrete_fields
    }
    data["tags"] = sorted(customer.tags.values_list("pk", flat=True))
    return data


def _found(term: str) -> set[int]:
    return set(
        Customer.objects.filter(customer_search_q(term)).values_list("pk", flat=True)
    )


@pytest.fixture
def pair(sales):
    """A lead whose phone was typed into the QQ field, and the real one."""
    other_sales = UserFactory(username="other_seller")
    survivor = CustomerFactory(
        name="王芳",
        qq="88001234",
        phone="13711112222",
        email="",
        notes="真正的线索",
        consultant=sales,
        created_at=timezone.now() - timedelta(days=10),
    )
    merged = CustomerFactory(
        name="王小芳",
        qq="13733334444",
        phone=None,
        email="wang@example.com",
        qq_name="芳芳",
        notes="手机号填到了 QQ 栏",
        consultant=other_sales,
    )
    survivor.tags.add(TagFactory(name="在职"))
    merged.tags.add(TagFactory(name="高意向"), TagFactory(name="在职"))
    FollowUpFactory(customer=survivor, content="第一次沟通")
    FollowUpFactory(customer=merged, content="第二个销售的跟进")
    return survivor, merged


def _paid_enrollment(customer, by):
    enrollment = EnrollmentFactory(customer=customer, approved=True)
    terms_at_approval(enrollment=enrollment, by=by)
    payment_record(enrollment=enrollment, amount=Decimal("500.00"), by=by)
    return enrollment


# ------------------------------------------------------------------- service


def test_merge_takes_the_chosen_fields_and_moves_every_row(pair, manager):
    survivor, merged = pair
    enrollment = _paid_enrollment(merged, manager)
    payment = Payment.objects.get(enrollment=enrollment)
    entries = set(
        LedgerEntry.objects.filter(enrollment=enrollment).values_list("pk", flat=True)
    )
    form = LeadForm.objects.create(
        name="百度落地页",
        source="baidu_ads",
        campus=BranchFactory(),
        owner=manager,
        thank_you="谢谢",
        created_by=manager,
    )
    submission = LeadSubmission.objects.create(
        form=form, customer=merged, outcome="new"
    )
    access = PersonalDataAccess.objects.create(
        user=manager, customer=merged, kind="id_number"
    )
    followups = set(
        CustomerFollowUp.objects.filter(customer__in=pair).values_list("pk", flat=True)
    )

    merge = customer_merge(
        survivor=survivor,
        merged=merged,
        fields_taken=["name", "email", "qq_name"],
        by=manager,
    )

    survivor.refresh_from_db()
    assert (survivor.name, survivor.email, survivor.qq_name) == (
        "王小芳",
        "wang@example.com",
        "芳芳",
    )
    assert (survivor.qq, survivor.phone, survivor.notes) == (
        "88001234",
        "13711112222",
        "真正的线索",
    )
    assert not Customer.objects.filter(pk=merged.pk).exists()
    assert set(survivor.followups.values_list("pk", flat=True)) == followups
    assert Enrollment.objects.get(pk=enrollment.pk).customer == survivor
    assert Payment.objects.get(pk=payment.pk).enrollment_id == enrollment.pk
    assert (
        set(
            LedgerEntry.objects.filter(enrollment__customer=survivor).values_list(
                "pk", flat=True
            )
        )
        == entries
    )
    assert verify() == []
    assert LeadSubmission.objects.get(pk=submission.pk).customer == survivor
    assert PersonalDataAccess.objects.get(pk=access.pk).customer == survivor
    assert sorted(survivor.tags.values_list("name", flat=True)) == ["在职", "高意向"]
    assert merge.moved["crm.enrollment"] == [enrollment.pk]
    assert merge.merged_pk == merged.pk and merge.merged_name == "王小芳"
    assert _found("王小芳") == {survivor.pk}
    # The owner of the merged lead is told, the history says what changed.
    assert Notification.objects.filter(
        recipient=merged.consultant, text__contains="王小芳"
    ).exists()
    entry = ChangeLog.objects.filter(
        object_id=str(survivor.pk), action="change"
    ).first()
    assert {c["field"] for c in entry.changes} >= {"name", "email", "tags"}


def test_the_merged_phone_typed_as_qq_is_found_on_the_survivor(pair, manager):
    survivor, merged = pair
    customer_merge(survivor=survivor, merged=merged, fields_taken=["qq"], by=manager)
    assert Customer.objects.get(qq="13733334444") == survivor
    assert _found("1373333") == {survivor.pk}


def test_undo_restores_both_exactly(pair, manager):
    survivor, merged = pair
    enrollment = _paid_enrollment(merged, manager)
    before = {c.pk: _fields(c) for c in pair}
    related = {
        c.pk: (
            set(c.followups.values_list("pk", flat=True)),
            set(c.enrollments.values_list("pk", flat=True)),
        )
        for c in pair
    }
    merge = customer_merge(
        survivor=survivor,
        merged=merged,
        fields_taken=["name", "qq", "consultant", "email"],
        by=manager,
    )
    assert Customer.objects.get(pk=survivor.pk).qq == "13733334444"

    back = customer_merge_undo(merge=merge, by=manager)

    assert back.pk == merged.pk
    for customer in pair:
        assert _fields(customer) == before[customer.pk]
        fresh = Customer.objects.get(pk=customer.pk)
        assert (
            set(fresh.followups.values_list("pk", flat=True)),
            set(fresh.enrollments.values_list("pk", flat=True)),
        ) == related[customer.pk]
    assert Enrollment.objects.get(pk=enrollment.pk).customer_id == merged.pk
    assert _found("王芳") >= {survivor.pk}
    assert merged.pk in _found("王小芳")
    assert _found("1373333") == {merged.pk}
    merge.refresh_from_db()
    assert merge.undone_by == manager and merge.undone_at is not None
    with pytest.raises(ValidationError, match="already been undone"):
        customer_merge_undo(merge=merge, by=manager)


def test_the_student_account_moves_and_comes_back(pair, manager):
    survivor, merged = pair
    account = UserFactory(username="wangfang")
    Customer.objects.filter(pk=merged.pk).update(user=account)
    merge = customer_merge(
        survivor=survivor, merged=merged, fields_taken=[], by=manager
    )
    assert Customer.objects.get(pk=survivor.pk).user == account
    customer_merge_undo(merge=merge, by=manager)
    assert Customer.objects.get(pk=merged.pk).user == account
    assert Customer.objects.get(pk=survivor.pk).user is None


def test_two_student_accounts_are_refused(pair, manager):
    survivor, merged = pair
    Customer.objects.filter(pk=survivor.pk).update(user=UserFactory(username="a1"))
    Customer.objects.filter(pk=merged.pk).update(user=UserFactory(username="a2"))
    with pytest.raises(ValidationError, match="student account"):
        customer_merge(survivor=survivor, merged=merged, fields_taken=[], by=manager)
    assert Customer.objects.filter(pk=merged.pk).exists()
    assert not CustomerMerge.objects.exists()


def test_two_enrollments_in_one_class_are_refused(pair, manager):
    survivor, merged = pair
    class_list = ClassListFactory(name="Python 全栈 S9")
    EnrollmentFactory(customer=survivor, class_list=class_list)
    EnrollmentFactory(customer=merged, class_list=class_list)
    with pytest.raises(ValidationError) as refused:
        customer_merge(survivor=survivor, merged=merged, fields_taken=[], by=manager)
    assert "enrollment" in str(refused.value) and "Python 全栈 S9" in str(refused.value)
    assert merged.followups.count() == 1
    assert Customer.objects.filter(pk=merged.pk).exists()


def test_undo_is_refused_when_a_new_customer_took_the_number(pair, manager):
    survivor, merged = pair
    merge = customer_merge(
        survivor=survivor, merged=merged, fields_taken=[], by=manager
    )
    newcomer = CustomerFactory(name="新来的", qq="13733334444", phone=None)
    with pytest.raises(ValidationError, match="新来的"):
        customer_merge_undo(merge=merge, by=manager)
    assert not Customer.objects.filter(pk=merged.pk).exists()
    assert CustomerMerge.objects.get(pk=merge.pk).undone_at is None
    assert Customer.objects.get(qq="13733334444") == newcomer


def test_unknown_fields_and_self_merges_are_refused(pair, manager):
    survivor, merged = pair
    with pytest.raises(ValidationError, match="Unknown"):
        customer_merge(
            survivor=survivor, merged=merged, fields_taken=["id"], by=manager
        )
    with pytest.raises(ValidationError, match="itself"):
        customer_merge(survivor=survivor, merged=survivor, fields_taken=[], by=manager)


def test_candidates_of_the_three_kinds(pair):
    survivor, _merged = pair
    same_id = [
        CustomerFactory(name=f"身份证 {n}", id_number="110101199001011234")
        for n in range(2)
    ]
    same_mail = [
        CustomerFactory(name=f"邮箱 {n}", email=f"{case}@example.com")
        for n, case in enumerate(("Same", "same"))
    ]
    # The survivor's phone typed in another lead's QQ field.
    typed = CustomerFactory(name="填错栏", qq=survivor.phone, phone=None)

    found = {
        frozenset((p.first.pk, p.second.pk)): p.reasons
        for p in duplicate_candidates(Customer.objects.all())
    }

    assert frozenset(c.pk for c in same_id) in found
    assert frozenset(c.pk for c in same_mail) in found
    assert frozenset((survivor.pk, typed.pk)) in found
    # A scope that leaves one out finds no pair with it.
    scoped = duplicate_candidates(Customer.objects.exclude(pk=typed.pk))
    assert all(typed.pk not in (p.first.pk, p.second.pk) for p in scoped)


def test_candidates_take_a_constant_number_of_queries(
    pair, django_assert_max_num_queries
):
    for n in range(20):
        CustomerFactory(qq=f"1391234{n:04d}", phone=None)
        CustomerFactory(phone=f"1391234{n:04d}", qq=None)
    with django_assert_max_num_queries(4):
        assert len(duplicate_candidates(Customer.objects.all())) >= 20


# --------------------------------------------------------------------- pages


def _merge_url(survivor, merged):
    return reverse("crm:customer_merge") + f"?survivor={survivor.pk}&merged={merged.pk}"


def _choices(client, survivor, merged, **taken) -> dict:
    """Return the page's default choices, with ``taken`` fields from the merged."""
    form = client.get(_merge_url(survivor, merged)).context["form"]
    data = {name: field.initial for name, field in form.fields.items()}
    data.update({f"take_{name}": value for name, value in taken.items()})
    return data


def test_the_pages_merge_and_undo(pair, manager):
    survivor, merged = pair
    client = Client(enforce_csrf_checks=False)
    client.force_login(manager)

    listed = client.get(reverse("crm:customer_duplicates"))
    assert listed.status_code == 200

    page = client.get(_merge_url(survivor, merged))
    assert page.status_code == 200
    html = page.content.decode()
    assert "王小芳" in html and "王芳" in html
    response = client.post(
        _merge_url(survivor, merged),
        _choices(client, survivor, merged, name="merged"),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:customer_detail", args=[survivor.pk])
    survivor.refresh_from_db()
    assert survivor.name == "王小芳" and survivor.email == "wang@example.com"
    assert not Customer.objects.filter(pk=merged.pk).exists()

    detail = client.get(response["Location"])
    assert "第二个销售的跟进" in detail.content.decode()
    merge = CustomerMerge.objects.get()
    undo = reverse("crm:customer_merge_undo", args=[merge.pk])
    assert undo in detail.content.decode()
    response = client.post(undo)
    assert response.status_code == 302
    assert Customer.objects.get(pk=merged.pk).name == "王小芳"
    assert Customer.objects.get(pk=survivor.pk).name == "王芳"


def test_the_merge_log_and_csrf_on_undo(pair, manager):
    survivor, merged = pair
    merge = customer_merge(
        survivor=survivor, merged=merged, fields_taken=["name"], by=manager
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    log = client.get("/kingadmin/crm/customermerge/")
    assert log.status_code == 200
    html = log.content.decode()
    assert "王小芳" in html
    assert reverse("crm:customer_detail", args=[survivor.pk]) in html
    undo = reverse("crm:customer_merge_undo", args=[merge.pk])
    assert client.post(undo).status_code == 403
    assert CustomerMerge.objects.get(pk=merge.pk).undone_at is None
    page = client.get(reverse("crm:customer_detail", args=[survivor.pk]))
    token = page.context["csrf_token"]
    response = client.post(undo, {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert CustomerMerge.objects.get(pk=merge.pk).undone_at is not None


def test_a_conflict_is_shown_and_nothing_changes(pair, manager):
    survivor, merged = pair
    class_list = ClassListFactory(name="Linux 40 期")
    EnrollmentFactory(customer=survivor, class_list=class_list)
    EnrollmentFactory(customer=merged, class_list=class_list)
    client = Client()
    client.force_login(manager)
    page = client.get(_merge_url(survivor, merged))
    assert "Linux 40 期" in page.content.decode()
    response = client.post(
        _merge_url(survivor, merged), _choices(client, survivor, merged, name="merged")
    )
    assert response.status_code == 200
    assert "Linux 40 期" in response.content.decode()
    assert Customer.objects.filter(pk=merged.pk).exists()
    assert Customer.objects.get(pk=survivor.pk).name == "王芳"


def test_a_sales_cannot_merge_and_foreign_ids_are_refused(pair, sales, manager):
    survivor, merged = pair
    client = Client()
    client.force_login(sales)
    assert client.get(reverse("crm:customer_duplicates")).status_code == 403
    assert client.get(_merge_url(survivor, merged)).status_code == 403
    assert client.post(_merge_url(survivor, merged), {}).status_code == 403
    assert Customer.objects.filter(pk=merged.pk).exists()

    # A manager whose rules see only some customers gets 403 for the others.
    narrow = RoleFactory(
        name="narrow merger",
        permissions=_permissions("crm.merge_customers", "crm.view_own_customers"),
    )
    merger = UserFactory(username="narrow", roles=[narrow])
    Customer.objects.filter(pk=survivor.pk).update(consultant=merger)
    client.force_login(merger)
    assert client.get(_merge_url(survivor, merged)).status_code == 403
    assert client.post(_merge_url(survivor, merged), {}).status_code == 403
    missing = reverse("crm:customer_merge") + f"?survivor={survivor.pk}&merged=999999"
    assert client.get(missing).status_code == 404
    assert Customer.objects.filter(pk=merged.pk).exists()
    merge = customer_merge(
        survivor=Customer.objects.get(pk=merged.pk),
        merged=Customer.objects.get(pk=survivor.pk),
        fields_taken=[],
        by=manager,
    )
    response = client.post(reverse("crm:customer_merge_undo", args=[merge.pk]))
    assert response.status_code == 403
    assert CustomerMerge.objects.get(pk=merge.pk).undone_at is None


def test_find_the_other_customer_by_number(pair, manager):
    survivor, merged = pair
    client = Client()
    client.force_login(manager)
    url = reverse("crm:customer_merge_find", args=[survivor.pk])
    response = client.get(url, {"other": "137-3333-4444"})
    assert response.status_code == 302
    assert response["Location"] == _merge_url(survivor, merged)
    response = client.get(url, {"other": "nobody"}, follow=True)
    assert response.status_code == 200
    assert "No other customer" in response.content.decode()


def test_pages_take_a_constant_number_of_queries(
    pair, manager, django_assert_max_num_queries
):
    survivor, merged = pair
    client = Client()
    client.force_login(manager)
    for n in range(5):
        FollowUpFactory(customer=merged)
        CustomerFactory(qq=f"1391234{n:04d}", phone=None)
        CustomerFactory(phone=f"1391234{n:04d}", qq=None)
    client.get(reverse("crm:customer_duplicates"))
    with django_assert_max_num_queries(20) as small:
        client.get(_merge_url(survivor, merged))
    with django_assert_max_num_queries(20) as small_list:
        client.get(reverse("crm:customer_duplicates"))
    for n in range(20):
        FollowUpFactory(customer=merged)
        _paid = EnrollmentFactory(customer=merged)
        CustomerFactory(qq=f"1381234{n:04d}", phone=None)
        CustomerFactory(phone=f"1381234{n:04d}", qq=None)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(_merge_url(survivor, merged))
    with django_assert_max_num_queries(len(small_list.captured_queries)):
        client.get(reverse("crm:customer_duplicates"))


def test_the_merge_rule_is_registered():
    rule = registry.get("crm.merge_customers")
    assert rule is not None
    assert {route.url_name for route in rule.routes} >= {
        "crm:customer_duplicates",
        "crm:customer_merge",
        "crm:customer_merge_undo",
    }
