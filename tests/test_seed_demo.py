from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, User
from crm.models import ClassList, Customer, CustomerFollowUp, Enrollment
from teacher.models import CourseRecord, StudyRecord

pytestmark = pytest.mark.django_db


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot():
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Role,
            ClassList,
            Customer,
            CustomerFollowUp,
            Enrollment,
            CourseRecord,
            StudyRecord,
        )
    }


def test_seed_creates_the_scenario_data_and_prints_the_logins():
    output = seed()
    for username in (
        "admin",
        "sales_a",
        "sales_b",
        "sales_c",
        "sales_d",
        "manager",
        "teacher",
        "student",
    ):
        assert username in output
        assert User.objects.get(username=username).check_password("demo-pass-2026")
    assert "demo-pass-2026" in output
    assert set(Role.objects.values_list("name", flat=True)) >= {
        "Sales",
        "Teacher",
        "Student",
        "Admin",
        "Sales manager",
    }
    s9 = ClassList.objects.get(name="Python full-stack S9")
    assert ClassList.objects.filter(name="Linux 40").exists()
    assert s9.teachers.filter(username="teacher").exists()
    student = User.objects.get(username="student")
    assert Enrollment.objects.get(customer__user=student).class_list == s9
    assert CourseRecord.objects.filter(class_list=s9).count() == 3
    assert StudyRecord.objects.filter(enrollment__class_list=s9).count() == 18
    assert StudyRecord.objects.filter(attendance="late").exists()


def test_seed_has_stale_and_never_followed_leads_for_each_sales():
    from datetime import timedelta

    from django.utils import timezone

    seed("--quiet-logins")
    month_ago = timezone.now() - timedelta(days=30)
    leads = Customer.objects.filter(consultant__username="sales_c")
    assert leads.filter(last_followup_at__lt=month_ago).exists()
    assert leads.filter(last_followup_at__isnull=True).exists()
    for customer in Customer.objects.exclude(last_followup_at=None):
        latest = customer.followups.order_by("-created_at").first()
        assert customer.last_followup_at == latest.created_at


def test_seed_is_idempotent():
    seed("--quiet-logins")
    before = snapshot()
    seed("--quiet-logins")
    assert snapshot() == before


def test_generated_customers_and_followups_are_added_consistently():
    seed("--quiet-logins")
    demo_customers = Customer.objects.count()
    seed("--customers", "250", "--followups", "1200", "--quiet-logins")
    seed("--customers", "50", "--quiet-logins")
    assert Customer.objects.count() == demo_customers + 300
    generated = Customer.objects.filter(qq__startswith="7")
    assert generated.count() == 300
    assert CustomerFollowUp.objects.filter(customer__in=generated).count() == 1200
    for customer in generated.exclude(last_followup_at=None)[:20]:
        latest = customer.followups.order_by("-created_at").first()
        assert customer.last_followup_at == latest.created_at
        assert latest.consultant_id == customer.consultant_id
        assert latest.created_at >= customer.created_at


def test_negative_counts_are_refused():
    with pytest.raises(CommandError):
        seed("--customers", "-1")


def test_seed_stores_rules_declared_after_the_last_migrate():
    from django.contrib.auth.models import Permission

    Permission.objects.filter(codename="view_sales_reports").delete()
    seed("--quiet-logins")
    assert (
        Role.objects.get(name="Sales manager")
        .permissions.filter(codename="view_sales_reports")
        .exists()
    )
