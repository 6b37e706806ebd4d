from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Menu, Role, User
from crm import demo_data
from crm.contracts import validate_contract_template
from crm.demo_data import (
    BEIJING,
    CONTRACT_NAME,
    LINUX,
    LINUX_40,
    PYTHON,
    PYTHON_S9,
    ROLE_ADMIN,
    ROLE_FINANCE,
    ROLE_SALES,
    ROLE_SALES_MANAGER,
    ROLE_STUDENT,
    ROLE_TEACHER,
    SHANGHAI,
)
from crm.models import (
    Branch,
    ClassList,
    ContractTemplate,
    Course,
    Customer,
    CustomerFollowUp,
    Enrollment,
)
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
            Menu,
            Branch,
            Course,
            ContractTemplate,
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
        ROLE_SALES,
        ROLE_TEACHER,
        ROLE_STUDENT,
        ROLE_ADMIN,
        ROLE_SALES_MANAGER,
    }
    s9 = ClassList.objects.get(name=PYTHON_S9)
    assert ClassList.objects.filter(name=LINUX_40).exists()
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
        Role.objects.get(name=ROLE_SALES_MANAGER)
        .permissions.filter(codename="view_sales_reports")
        .exists()
    )


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_seed_writes_what_people_read_in_chinese():
    seed("--quiet-logins")
    assert set(Branch.objects.values_list("name", flat=True)) == {BEIJING, SHANGHAI}
    assert set(Course.objects.values_list("name", flat=True)) == {PYTHON, LINUX}
    contract = ContractTemplate.objects.get()
    assert contract.name == CONTRACT_NAME
    validate_contract_template(contract.content)
    for placeholder in ("customer", "id_number", "class", "price", "date"):
        assert "{{ " + placeholder + " }}" in contract.content
    texts = [
        contract.name,
        contract.content,
        *Branch.objects.values_list("name", flat=True),
        *ClassList.objects.values_list("name", flat=True),
        *Course.objects.values_list("outline", flat=True),
        *Role.objects.values_list("name", flat=True),
        *Menu.objects.values_list("name", flat=True),
        *CustomerFollowUp.objects.values_list("content", flat=True),
        *StudyRecord.objects.exclude(teacher_comment="").values_list(
            "teacher_comment", flat=True
        ),
    ]
    for lesson in CourseRecord.objects.all():
        texts += [
            lesson.title,
            lesson.content,
            lesson.homework_title,
            lesson.homework_requirements,
        ]
    assert [text for text in texts if not _has_chinese(text)] == []
    # The class names of MISSION.md stay recognisable.
    assert "S9" in PYTHON_S9 and "40" in LINUX_40


def test_seed_upgrades_the_english_demo_data_of_the_previous_release():
    """A database seeded before the data was Chinese is renamed, not doubled."""
    # What the previous release's seed_demo stored (a part of it), plus one
    # text an admin had since rewritten.
    beijing = Branch.objects.create(
        name="Beijing", address="北京市海淀区中关村大街 1 号"
    )
    shanghai = Branch.objects.create(
        name="Shanghai", address="上海市浦东新区张江路 100 号"
    )
    python = Course.objects.create(
        name="Python",
        price=19800,
        period_months=6,
        outline=demo_data.PREVIOUS_PYTHON_SYLLABUS,
    )
    linux = Course.objects.create(
        name="Linux", price=12800, period_months=5, outline="本校自编 Linux 大纲"
    )
    contract = ContractTemplate.objects.create(
        name="Standard training agreement", content=demo_data.PREVIOUS_CONTRACT_TEXT
    )
    s9 = ClassList.objects.create(
        name="Python full-stack S9",
        branch=beijing,
        course=python,
        class_type=ClassList.ClassType.FULL_TIME,
        semester=9,
        start_date=date(2026, 3, 2),
        contract_template=contract,
    )
    linux40 = ClassList.objects.create(
        name="Linux 40",
        branch=shanghai,
        course=linux,
        class_type=ClassList.ClassType.WEEKEND,
        semester=40,
        start_date=date(2026, 4, 4),
        contract_template=contract,
    )
    my_customers = Menu.objects.create(
        name="My customers", url_type="absolute", url="/kingadmin/crm/customer/?mine=1"
    )
    review = Menu.objects.create(
        name="Enrollments to review",
        url_type="absolute",
        url="/kingadmin/crm/enrollment/?state=submitted",
    )
    sales = Role.objects.create(name="Sales", home=my_customers)
    sales.menus.add(my_customers)
    manager_role = Role.objects.create(name="Sales manager", home=my_customers)
    manager_role.menus.add(my_customers, review)
    student_role = Role.objects.create(name="Student")
    sales_b = User.objects.create_user("sales_b", campus=beijing)
    sales_b.roles.add(sales)
    teacher = User.objects.create_user("teacher", campus=beijing)
    lesson = CourseRecord.objects.create(
        class_list=s9,
        lesson_number=1,
        teacher=teacher,
        date=s9.start_date,
        title="Python basics and the development environment",
        content="Python basics and the development environment.",
        has_homework=True,
        homework_title="Install Python, write hello.py",
        homework_requirements="Submit hello.py printing your name and the date.",
    )
    kobe = Customer.objects.create(
        name="Kobe", qq="52013141", phone="13800001002", consultant=sales_b
    )
    enrollment = Enrollment.objects.create(
        customer=kobe,
        class_list=s9,
        consultant=sales_b,
        state=Enrollment.State.APPROVED,
        approved_by=sales_b,
        approved_at=timezone.now(),
    )
    graded = StudyRecord.objects.create(
        enrollment=enrollment,
        course_record=lesson,
        attendance="late",
        score=80,
        teacher_comment="Good work.",
        graded_by=teacher,
        graded_at=timezone.now(),
    )
    lead = Customer.objects.create(name="王伟", qq="31000000", consultant=sales_b)
    followup = CustomerFollowUp.objects.create(
        customer=lead,
        consultant=sales_b,
        content="Called back, wants the weekend class.",
        intention=CustomerFollowUp.Intention.WITHIN_MONTH,
    )

    seed("--quiet-logins")

    # The same rows, renamed: nothing was added beside them.
    assert list(Branch.objects.order_by("pk").values_list("pk", "name")) == [
        (beijing.pk, BEIJING),
        (shanghai.pk, SHANGHAI),
    ]
    assert list(Course.objects.order_by("pk").values_list("pk", "name")) == [
        (python.pk, PYTHON),
        (linux.pk, LINUX),
    ]
    assert list(ClassList.objects.order_by("pk").values_list("pk", "name")) == [
        (s9.pk, PYTHON_S9),
        (linux40.pk, LINUX_40),
    ]
    assert list(ContractTemplate.objects.values_list("pk", "name", "content")) == [
        (contract.pk, CONTRACT_NAME, demo_data.CONTRACT_TEXT)
    ]
    roles = dict(Role.objects.values_list("name", "pk"))
    assert roles == {
        ROLE_ADMIN: roles[ROLE_ADMIN],
        ROLE_SALES: sales.pk,
        ROLE_SALES_MANAGER: manager_role.pk,
        ROLE_TEACHER: roles[ROLE_TEACHER],
        ROLE_STUDENT: student_role.pk,
        ROLE_FINANCE: roles[ROLE_FINANCE],
    }
    assert Menu.objects.count() == len(demo_data.MENUS)
    my_customers.refresh_from_db()
    review.refresh_from_db()
    assert my_customers.name == demo_data.MENU_MY_CUSTOMERS
    assert review.name == demo_data.MENU_ENROLLMENTS_TO_REVIEW
    assert sales_b.roles.get() == sales
    assert set(manager_role.menus.values_list("name", flat=True)) == {
        demo_data.MENU_MY_CUSTOMERS,
        demo_data.MENU_PUBLIC_POOL,
        demo_data.MENU_ALL_CUSTOMERS,
        demo_data.MENU_ENROLLMENTS_TO_REVIEW,
        demo_data.MENU_SALES_REPORTS,
        demo_data.MENU_LEAD_FORMS,
        demo_data.MENU_DUPLICATES,
        demo_data.MENU_LEAD_IMPORTS,
        demo_data.MENU_CAMPUS_TIMETABLE,
        demo_data.MENU_BALANCES,
        demo_data.MENU_OVERDUE,
        demo_data.MENU_REFUNDS,
        demo_data.MENU_FINANCE_REPORTS,
        demo_data.MENU_ASSIGNMENT_RULES,
    }
    # Old demo texts are replaced; the admin's own outline stays.
    python.refresh_from_db()
    linux.refresh_from_db()
    assert python.outline == demo_data.PYTHON_SYLLABUS
    assert linux.outline == "本校自编 Linux 大纲"
    lesson.refresh_from_db()
    new = demo_data.LESSONS[0]
    assert (
        lesson.title,
        lesson.content,
        lesson.homework_title,
        lesson.homework_requirements,
    ) == (new.title, new.content, new.homework_title, new.homework_requirements)
    graded.refresh_from_db()
    assert graded.teacher_comment == demo_data.GOOD_WORK_COMMENT
    followup.refresh_from_db()
    assert followup.content == "回电沟通，想报周末班。"

    # And the upgraded database is now stable.
    before = snapshot()
    seed("--quiet-logins")
    assert snapshot() == before


def test_seed_on_a_whole_database_of_the_previous_release_converges():
    """Seed, turn every demo name and text back into the English of the
    previous release, seed again: the same rows as a fresh seed, in Chinese."""
    seed("--quiet-logins")
    fresh = snapshot()
    for model, renames in demo_data.PREVIOUS_NAMES.items():
        for old, new in renames.items():
            model.objects.filter(name=new).update(name=old)
    for old, new in demo_data.PREVIOUS_CLASS_NAMES.values():
        ClassList.objects.filter(name=new).update(name=old)
    Course.objects.filter(outline=demo_data.PYTHON_SYLLABUS).update(
        outline=demo_data.PREVIOUS_PYTHON_SYLLABUS
    )
    ContractTemplate.objects.update(content=demo_data.PREVIOUS_CONTRACT_TEXT)
    for old, new in zip(demo_data.PREVIOUS_LESSONS, demo_data.LESSONS, strict=True):
        CourseRecord.objects.filter(title=new.title).update(
            title=old.title,
            content=old.content,
            homework_title=old.homework_title,
            homework_requirements=old.homework_requirements,
        )
    StudyRecord.objects.filter(teacher_comment=demo_data.GOOD_WORK_COMMENT).update(
        teacher_comment="Good work."
    )
    for old, new in demo_data.PREVIOUS_FOLLOWUP_TEXTS.items():
        CustomerFollowUp.objects.filter(content=new).update(content=old)
    assert not ClassList.objects.filter(name=PYTHON_S9).exists()

    seed("--quiet-logins")

    assert snapshot() == fresh
    assert ClassList.objects.get(name=PYTHON_S9).course.name == PYTHON
    assert Role.objects.get(name=ROLE_STUDENT).users.filter(username="student")
    assert not Menu.objects.filter(name__in=demo_data.PREVIOUS_NAMES[Menu]).exists()
    assert not CustomerFollowUp.objects.filter(
        content__in=demo_data.PREVIOUS_FOLLOWUP_TEXTS
    ).exists()
    assert not StudyRecord.objects.filter(teacher_comment="Good work.").exists()
    assert Course.objects.get(name=PYTHON).outline == demo_data.PYTHON_SYLLABUS
    assert CourseRecord.objects.filter(title=demo_data.LESSONS[0].title).exists()


def test_the_demo_term_is_scheduled_around_the_holidays(demo):
    from timetable.models import ClassSession, Holiday, Room, Schedule

    assert set(Room.objects.values_list("name", flat=True)) == {
        "北京-101",
        "北京-102",
        "上海-201",
        "上海-202",
    }
    s9 = ClassList.objects.get(name=demo_data.PYTHON_S9)
    schedule = Schedule.objects.get(class_list=s9)
    assert schedule.weekdays == "135"
    assert schedule.room.name == "北京-101"
    closed = Holiday.objects.get(name="元旦")
    sessions = ClassSession.objects.filter(class_list=s9)
    # The three lessons held have their sessions; then none on closed days.
    held = sessions.filter(course_record__isnull=False).order_by("starts_at")
    assert [s.number for s in held] == [1, 2, 3]
    days = {timezone.localtime(s.starts_at).date() for s in sessions}
    assert not any(closed.first_day <= day <= closed.last_day for day in days)
    assert sessions.filter(number=4).exists()
    seeded = ClassSession.objects.count()
    demo_data.seed_demo()
    assert ClassSession.objects.count() == seeded
