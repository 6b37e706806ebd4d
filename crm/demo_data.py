"""Demo data: the scenario data of MISSION.md and bulk leads for benchmarks.

Everything here is idempotent: scenario rows are looked up by a natural key
and created when missing, so ``seed_demo`` can run on every ``make run``.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Menu, Role, User
from crm.models import (
    Branch,
    ClassList,
    ContractTemplate,
    Course,
    Customer,
    CustomerFollowUp,
    Enrollment,
    Payment,
    Tag,
)
from teacher.models import CourseRecord, StudyRecord

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented demo login

# Generated (benchmark) leads use QQ numbers in this range and never collide
# with the hand-written demo leads below.
GENERATED_QQ_BASE = 7_000_000_000
GENERATED_PHONE_BASE = 19_000_000_000

PYTHON_SYLLABUS = """\
1. Python basics: syntax, data types, control flow, functions
2. Modules, packages, files and exceptions
3. Object-oriented programming
4. Networking and concurrency
5. Databases: MySQL and the ORM
6. Front end: HTML, CSS, JavaScript, Bootstrap
7. Django web development
8. Project: a CRM from scratch
"""

LINUX_SYLLABUS = """\
1. Linux installation, shell and file system
2. Users, permissions and processes
3. Networking, SSH and firewalls
4. Web services: Nginx, LNMP
5. Databases and backups
6. Monitoring and automation: Zabbix, Ansible
7. Containers: Docker and Kubernetes basics
"""

CONTRACT_TEXT = """\
Training agreement

Student: {{ customer }} (ID number {{ id_number }})
Course: {{ course }}, class {{ class }}, campus {{ campus }}
Tuition: {{ price }} yuan. Classes start on {{ start_date }}.

1. The school provides the teaching, materials and facilities described in the syllabus.
2. The student attends the lessons, completes the homework and follows the school rules.
3. Tuition paid is refundable in full within 7 days of the first lesson, after that \
in proportion to the lessons not yet held.
4. Disputes are settled by negotiation first.

Signed on {{ date }}.
"""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    description: str


DEMO_LOGINS = [
    DemoLogin("admin", "Admin", "administrator (superuser)"),
    DemoLogin("sales_a", "Sales", "sales A"),
    DemoLogin("sales_b", "Sales", "sales B"),
    DemoLogin("sales_c", "Sales", "sales C"),
    DemoLogin("sales_d", "Sales", "sales D"),
    DemoLogin("manager", "Sales manager", "sales manager"),
    DemoLogin("teacher", "Teacher", "teacher of Python S9 and Linux 40"),
    DemoLogin("student", "Student", "student of Python full-stack S9"),
]

# Menu names are English msgids, shown translated (see accounts.selectors).
MENUS = [
    # name, url type, url, icon, order
    (gettext_noop("Administration"), "name", "kingadmin:index", "gear", 5),
    (
        gettext_noop("My customers"),
        "absolute",
        "/kingadmin/crm/customer/?mine=1",
        "people",
        10,
    ),
    (
        gettext_noop("Stale leads"),
        "absolute",
        "/kingadmin/crm/customer/?stale=30",
        "hourglass-split",
        11,
    ),
    (
        gettext_noop("All customers"),
        "absolute",
        "/kingadmin/crm/customer/",
        "person-lines-fill",
        12,
    ),
    (
        gettext_noop("Enrollments to review"),
        "absolute",
        "/kingadmin/crm/enrollment/?state=submitted",
        "clipboard-check",
        13,
    ),
    (gettext_noop("Sales reports"), "name", "crm:reports", "bar-chart", 14),
    (gettext_noop("My classes"), "name", "teacher:class_list", "easel", 20),
    (
        gettext_noop("Students' questions"),
        "name",
        "student:question_open_list",
        "question-circle",
        21,
    ),
    (
        gettext_noop("Questions and answers"),
        "name",
        "student:questions",
        "chat-square-text",
        31,
    ),
    (gettext_noop("My study"), "name", "student:home", "mortarboard", 30),
]

SALES_PERMISSIONS = [
    "crm.view_own_customers",
    "crm.work_stale_customers",
    "crm.change_own_customers",
    "crm.add_customer",
    "crm.view_customerfollowup",
    "crm.add_customerfollowup",
    "crm.view_enrollment",
    "crm.add_enrollment",
    "crm.view_enrollmentdocument",
    "crm.view_payment",
    "crm.add_payment",
    "crm.view_course",
    "crm.view_classlist",
    "crm.view_branch",
    "crm.view_tag",
    "crm.add_tag",
]
ROLES = {
    # role: (home menu, menus, permissions)
    "Admin": (
        "Administration",
        ["Administration", "Enrollments to review", "Students' questions"],
        "__all__",
    ),
    "Sales": (
        "My customers",
        ["My customers", "Stale leads", "All customers"],
        SALES_PERMISSIONS,
    ),
    "Sales manager": (
        "My customers",
        [
            "My customers",
            "Stale leads",
            "All customers",
            "Enrollments to review",
            "Sales reports",
        ],
        [
            *SALES_PERMISSIONS,
            "crm.work_all_customers",
            "crm.review_enrollments",
            "crm.view_id_numbers",
            "accounts.view_staff_users",
            "crm.view_customer",
            "crm.change_customer",
            "crm.change_enrollment",
            "crm.delete_customer",
            "crm.view_sales_reports",
        ],
    ),
    "Teacher": (
        "My classes",
        ["My classes", "Students' questions"],
        [
            "teacher.use_teacher_portal",
            "crm.view_taught_classes",
            "teacher.view_courserecord",
            "teacher.add_courserecord",
            "teacher.change_courserecord",
            "teacher.view_studyrecord",
            "teacher.change_studyrecord",
            "student.view_question",
            "student.view_answer",
            "student.answer_questions",
        ],
    ),
    "Student": (
        "My study",
        ["My study", "Questions and answers"],
        [
            "student.use_student_portal",
        ],
    ),
}

USERS = [
    # username, display name, roles, campus, superuser
    ("admin", "管理员", ["Admin"], "Beijing", True),
    ("sales_a", "销售A", ["Sales"], "Beijing", False),
    ("sales_b", "销售B", ["Sales"], "Beijing", False),
    ("sales_c", "销售C", ["Sales"], "Shanghai", False),
    ("sales_d", "销售D", ["Sales"], "Shanghai", False),
    ("manager", "销售经理", ["Sales", "Sales manager"], "Beijing", False),
    ("teacher", "Alex 老师", ["Teacher"], "Beijing", False),
    ("student", "李雷", ["Student"], "Beijing", False),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "军",
    "强",
    "涛",
    "明",
    "超",
    "秀英",
    "子涵",
    "浩然",
    "雨轩",
    "欣怡",
]
FOLLOWUP_TEXTS = [
    "电话沟通，对课程感兴趣，想先试听。",
    "QQ 聊了课程安排，担心周末没时间。",
    "询问学费分期，已发送报价。",
    "还在比较其他机构，下周再联系。",
    "已试听一节课，反馈不错。",
    "暂时没有学习计划。",
    "Called back, wants the weekend class.",
    "Sent the syllabus by QQ, waiting for an answer.",
]


def _permissions(names: list[str] | str) -> list[Permission]:
    if names == "__all__":
        return list(
            Permission.objects.filter(
                content_type__app_label__in=[
                    "accounts",
                    "crm",
                    "teacher",
                    "student",
                    "kingadmin",
                ]
            )
        )
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.append(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return found


def _seed_school() -> dict:
    today = timezone.localdate()
    beijing, _ = Branch.objects.get_or_create(
        name="Beijing", defaults={"address": "北京市海淀区中关村大街 1 号"}
    )
    shanghai, _ = Branch.objects.get_or_create(
        name="Shanghai", defaults={"address": "上海市浦东新区张江路 100 号"}
    )
    python, _ = Course.objects.get_or_create(
        name="Python",
        defaults={
            "price": Decimal("19800"),
            "period_months": 6,
            "outline": PYTHON_SYLLABUS,
        },
    )
    linux, _ = Course.objects.get_or_create(
        name="Linux",
        defaults={
            "price": Decimal("12800"),
            "period_months": 5,
            "outline": LINUX_SYLLABUS,
        },
    )
    contract, _ = ContractTemplate.objects.get_or_create(
        name="Standard training agreement", defaults={"content": CONTRACT_TEXT}
    )
    s9, _ = ClassList.objects.get_or_create(
        branch=beijing,
        course=python,
        class_type=ClassList.ClassType.FULL_TIME,
        semester=9,
        defaults={
            "name": "Python full-stack S9",
            "start_date": today - timedelta(days=21),
            "end_date": today - timedelta(days=21) + timedelta(days=180),
            "seats": 40,
            "contract_template": contract,
        },
    )
    linux40, _ = ClassList.objects.get_or_create(
        branch=shanghai,
        course=linux,
        class_type=ClassList.ClassType.WEEKEND,
        semester=40,
        defaults={
            "name": "Linux 40",
            "start_date": today + timedelta(days=14),
            "end_date": today + timedelta(days=14 + 150),
            "seats": 30,
            "contract_template": contract,
        },
    )
    for name in ("高意向", "学生", "在职", "转行"):
        Tag.objects.get_or_create(name=name)
    return {
        "branches": {"Beijing": beijing, "Shanghai": shanghai},
        "python": python,
        "linux": linux,
        "s9": s9,
        "linux40": linux40,
    }


def _seed_roles() -> None:
    """Create the demo menus and roles; re-running restores their demo grants.

    Menus are updated to what the code says, so a later release can move a
    menu; grants are only ever added, never taken away.
    """
    menus = {}
    for name, url_type, url, icon, order in MENUS:
        menus[name], _ = Menu.objects.update_or_create(
            name=name,
            defaults={"url_type": url_type, "url": url, "icon": icon, "order": order},
        )
    for role_name, (home, menu_names, permissions) in ROLES.items():
        role, _ = Role.objects.get_or_create(
            name=role_name, defaults={"home": menus[home]}
        )
        role.menus.add(*[menus[m] for m in menu_names])
        role.permissions.add(*_permissions(permissions))


def _seed_users(school: dict) -> dict[str, User]:
    users = {}
    for username, display, role_names, campus, superuser in USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "display_name": display,
                "email": f"{username}@example.com",
                "campus": school["branches"][campus],
                "is_staff": superuser,
                "is_superuser": superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.roles.add(*Role.objects.filter(name__in=role_names))
        users[username] = user
    school["s9"].teachers.add(users["teacher"])
    school["linux40"].teachers.add(users["teacher"])
    return users


def _seed_leads(school: dict, users: dict[str, User]) -> None:
    """Create a few dozen leads owned by the four sales, some gone stale."""
    rng = random.Random(2026)
    now = timezone.now()
    sales = [users[name] for name in ("sales_a", "sales_b", "sales_c", "sales_d")]
    courses = [school["python"], school["linux"]]
    for i in range(36):
        qq = str(31_000_000 + i * 7919)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        consultant = sales[i % 4]
        created = now - timedelta(days=rng.randint(1, 120), hours=rng.randint(0, 23))
        customer, created_now = Customer.objects.get_or_create(
            qq=qq,
            defaults={
                "name": name,
                "qq_name": f"{name}_{i}",
                "phone": f"139{10_000_000 + i * 104_729:08d}"[:11],
                "source": rng.choice(Customer.Source.values),
                "consult_course": rng.choice(courses),
                "notes": "",
                "consultant": consultant,
                "created_at": created,
            },
        )
        if not created_now:
            continue
        # Every third lead has never been followed up, every fourth only long ago.
        if i % 3 == 0:
            continue
        count = rng.randint(1, 3)
        span = (now - created).days
        latest = None
        for _n in range(count):
            when = created + timedelta(days=rng.randint(0, max(span - 1, 0)))
            if i % 4 == 1:
                when = min(when, now - timedelta(days=35 + rng.randint(0, 40)))
                when = max(when, created)
            followup = CustomerFollowUp.objects.create(
                customer=customer,
                consultant=consultant,
                content=rng.choice(FOLLOWUP_TEXTS),
                intention=rng.choice(
                    [
                        CustomerFollowUp.Intention.WITHIN_2_WEEKS,
                        CustomerFollowUp.Intention.WITHIN_MONTH,
                        CustomerFollowUp.Intention.NO_PLAN,
                    ]
                ),
                created_at=when,
            )
            latest = max(latest or followup.created_at, followup.created_at)
        customer.last_followup_at = latest
        customer.save(update_fields=["last_followup_at"])


CLASSMATES = [
    # name, qq, phone, attendance per lesson, score per lesson
    (
        "李雷",
        "52013140",
        "13800001001",
        ["present", "present", "present"],
        # Lesson 1 is not handed in yet: the demo student walks scenario 9.
        [None, 85, 100],
    ),
    ("Kobe", "52013141", "13800001002", ["present", "late", "present"], [80, 70, 85]),
    (
        "韩梅梅",
        "52013142",
        "13800001003",
        ["present", "present", "left_early"],
        [100, 90, 80],
    ),
    ("王芳", "52013143", "13800001004", ["absent", "present", "present"], [0, 60, 70]),
    (
        "张伟",
        "52013144",
        "13800001005",
        ["present", "present", "absent"],
        [85, -100, 0],
    ),
    ("刘洋", "52013145", "13800001006", ["late", "present", "present"], [50, 80, 90]),
]

LESSONS = [
    (
        "Python basics and the development environment",
        "Install Python, write hello.py",
        "Submit hello.py printing your name and the date.",
    ),
    (
        "Data types and control flow",
        "Guess-the-number game",
        "Write a number guessing game with at most 7 tries.",
    ),
    (
        "Functions and modules",
        "A small library module",
        "Write a module with three tested helper functions.",
    ),
]


def _seed_class_s9(school: dict, users: dict[str, User]) -> None:
    """Enroll the demo student and classmates in S9 with three lessons held."""
    s9 = school["s9"]
    sales_b, admin, teacher = users["sales_b"], users["admin"], users["teacher"]
    start = s9.start_date
    enrollments = []
    for name, qq, phone, _att, _scores in CLASSMATES:
        customer, _ = Customer.objects.get_or_create(
            qq=qq,
            defaults={
                "name": name,
                "phone": phone,
                "email": f"{qq}@qq.com",
                "source": Customer.Source.QQ_GROUP,
                "consult_course": school["python"],
                "consultant": sales_b,
                "status": Customer.Status.ENROLLED,
                "gender": Customer.Gender.MALE,
                "created_at": timezone.now() - timedelta(days=40),
                "user": users["student"] if name == "李雷" else None,
            },
        )
        agreed = timezone.now() - timedelta(days=25)
        enrollment, created = Enrollment.objects.get_or_create(
            customer=customer,
            class_list=s9,
            defaults={
                "consultant": sales_b,
                "state": Enrollment.State.APPROVED,
                "contract_agreed": True,
                "contract_agreed_at": agreed,
                "submitted_at": agreed,
                "approved_by": admin,
                "approved_at": agreed + timedelta(hours=3),
            },
        )
        if created:
            Payment.objects.create(
                enrollment=enrollment,
                kind=Payment.Kind.TUITION,
                amount=school["python"].price,
                consultant=sales_b,
                created_at=agreed + timedelta(hours=4),
            )
        enrollments.append(enrollment)

    for number, (title, homework_title, requirements) in enumerate(LESSONS, start=1):
        lesson, created = CourseRecord.objects.get_or_create(
            class_list=s9,
            lesson_number=number,
            defaults={
                "teacher": teacher,
                "date": start + timedelta(days=2 * (number - 1)),
                "title": title,
                "content": f"{title}.",
                "has_homework": True,
                "homework_title": homework_title,
                "homework_requirements": requirements,
            },
        )
        if not created:
            continue
        lesson_time = timezone.make_aware(datetime.combine(lesson.date, time(20, 0)))
        for enrollment, (name, _qq, _phone, attendance, scores) in zip(
            enrollments, CLASSMATES, strict=True
        ):
            record = StudyRecord(
                enrollment=enrollment,
                course_record=lesson,
                attendance=attendance[number - 1],
            )
            score = scores[number - 1]
            if score is not None:
                record.score = score
                record.teacher_comment = "Good work." if score >= 80 else ""
                record.graded_by = teacher
                record.graded_at = lesson_time + timedelta(days=1)
            if attendance[number - 1] != "absent" and score is not None:
                record.homework_file.save(
                    f"lesson{number}.py",
                    ContentFile(
                        f"# {name}: {homework_title}\nprint('hello')\n".encode()
                    ),
                    save=False,
                )
                record.homework_original_name = f"lesson{number}.py"
                record.submitted_at = lesson_time
            record.save()


@transaction.atomic
def seed_demo() -> None:
    """Create (or complete) the scenario data of MISSION.md."""
    from kingadmin.rules_sync import sync_rule_permissions

    # Rules declared since the last migrate get their Permission rows now.
    sync_rule_permissions()
    school = _seed_school()
    _seed_roles()
    users = _seed_users(school)
    _seed_leads(school, users)
    _seed_class_s9(school, users)


def _next_generated_index() -> int:
    # Generated QQs are exactly ten digits starting with 7: compare as strings
    # only among strings of that length.
    top = (
        Customer.objects.annotate(qq_length=Length("qq"))
        .filter(qq_length=10, qq__startswith="7")
        .aggregate(top=Max("qq"))["top"]
    )
    return 0 if top is None else int(top) - GENERATED_QQ_BASE + 1


def generate_customers(count: int, *, batch_size: int = 2000, seed: int = 0) -> list:
    """Bulk-create ``count`` realistic leads owned by the sales.

    Return a list of (pk, created_at, consultant_id) for ``generate_followups``.
    """
    rng = random.Random(seed or count)
    consultants = list(User.objects.filter(roles__name="Sales").distinct())
    if not consultants:
        raise ValueError("Run seed_demo first: there are no sales users.")
    courses = list(Course.objects.all())
    sources = Customer.Source.values
    now = timezone.now()
    start = _next_generated_index()
    created: list[tuple] = []
    for offset in range(0, count, batch_size):
        batch = []
        for n in range(start + offset, start + min(offset + batch_size, count)):
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            batch.append(
                Customer(
                    name=name,
                    qq=str(GENERATED_QQ_BASE + n),
                    phone=str(GENERATED_PHONE_BASE + n) if n % 3 else None,
                    source=rng.choice(sources),
                    consult_course=rng.choice(courses),
                    consultant=rng.choice(consultants),
                    created_at=now - timedelta(minutes=rng.randint(60, 3 * 365 * 1440)),
                )
            )
        with transaction.atomic():
            Customer.objects.bulk_create(batch)
        created.extend((c.pk, c.created_at, c.consultant_id) for c in batch)
    return created


def generate_followups(
    count: int, *, customers: list | None = None, batch_size: int = 5000, seed: int = 0
) -> None:
    """Bulk-create ``count`` follow-ups by each lead's owner; refresh last follow-up.

    ``customers`` is a list of (pk, created_at, consultant_id); all customers
    when omitted.
    """
    rng = random.Random(seed or count)
    if not customers:
        customers = list(
            Customer.objects.values_list("pk", "created_at", "consultant_id")
        )
    if not customers:
        raise ValueError("There are no customers to follow up.")
    now = timezone.now()
    intentions = CustomerFollowUp.Intention.values
    for offset in range(0, count, batch_size):
        batch = []
        for _ in range(min(batch_size, count - offset)):
            pk, created, consultant_id = rng.choice(customers)
            span = max(int((now - created).total_seconds()), 60)
            batch.append(
                CustomerFollowUp(
                    customer_id=pk,
                    consultant_id=consultant_id,
                    content=rng.choice(FOLLOWUP_TEXTS),
                    intention=rng.choice(intentions),
                    created_at=created + timedelta(seconds=rng.randint(0, span)),
                )
            )
        with transaction.atomic():
            CustomerFollowUp.objects.bulk_create(batch)
    latest = (
        CustomerFollowUp.objects.filter(customer=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    pks = [pk for pk, _created, _owner in customers]
    Customer.objects.filter(pk__gte=min(pks), pk__lte=max(pks)).update(
        last_followup_at=Subquery(latest)
    )
