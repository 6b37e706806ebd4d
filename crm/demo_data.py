"""Demo data: the scenario data of MISSION.md and bulk leads for benchmarks.

Everything here is idempotent: scenario rows are looked up by a natural key
and created when missing, so ``seed_demo`` can run on every ``make run``.
The demo data is in Chinese, like the school's staff, customers and students
(English is a translation of the UI, not of the data). A database seeded by
an earlier release, whose demo data was English, is renamed in place first
(``_upgrade_previous_demo``), so re-running the seed creates no duplicates.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Length
from django.utils import timezone

from accounts.models import Menu, Role, User
from crm.bulk import insert_rows
from crm.models import (
    AssignmentRule,
    Branch,
    ClassList,
    ContractTemplate,
    Course,
    Customer,
    CustomerFollowUp,
    Enrollment,
    Tag,
)
from crm.pool import customers_fall_back
from crm.search import index_customers
from finance.models import Receipt, RefundPolicy
from finance.services import (
    consumption_sync,
    payment_record,
    plan_even,
    plan_set,
    terms_at_approval,
)
from teacher.models import CourseRecord, StudyRecord
from timetable.models import ClassSession, Holiday, Room

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented demo login

# Generated (benchmark) leads use QQ numbers in this range and never collide
# with the hand-written demo leads below.
GENERATED_QQ_BASE = 7_000_000_000
GENERATED_PHONE_BASE = 19_000_000_000

# The names of the demo rows, for the tests and benchmarks that look them up
# (so a rename touches this module only).
BEIJING = "北京校区"
SHANGHAI = "上海校区"
PYTHON = "Python 全栈开发"
LINUX = "Linux 云计算运维"
PYTHON_S9 = "Python 全栈 S9"
LINUX_40 = "Linux 40 期"
CONTRACT_NAME = "标准培训协议"

ROLE_ADMIN = "管理员"
ROLE_SALES = "销售"
ROLE_SALES_MANAGER = "销售经理"
ROLE_TEACHER = "讲师"
ROLE_STUDENT = "学员"
ROLE_FINANCE = "财务"

# Menu names are data, stored in Chinese; the menu shows them as they are in
# either language (accounts.selectors passes a name without a translation on).
MENU_ADMINISTRATION = "系统管理"
MENU_MY_CUSTOMERS = "我的客户"
MENU_PUBLIC_POOL = "公海线索"
MENU_ALL_CUSTOMERS = "所有客户"
MENU_ENROLLMENTS_TO_REVIEW = "待审核报名"
MENU_SALES_REPORTS = "销售报表"
MENU_LEAD_FORMS = "线索表单"
MENU_DUPLICATES = "重复客户"
MENU_MY_CLASSES = "我的班级"
MENU_STUDENT_QUESTIONS = "学员提问"
MENU_QUESTIONS = "问答"
MENU_MY_STUDY = "我的学习"
MENU_MY_TIMETABLE = "我的课表"
MENU_CAMPUS_TIMETABLE = "校区课表"
MENU_LEAVE_REQUESTS = "请假审批"
MENU_BALANCES = "学费余额"
MENU_OVERDUE = "逾期欠费"
MENU_REFUNDS = "退费审批"
MENU_FINANCE_REPORTS = "财务报表"
MENU_ASSIGNMENT_RULES = "分配规则"
MENU_LEAD_IMPORTS = "导入线索"
REFUND_POLICY = "标准退费政策"

# Rooms of each campus: name, seats.
ROOMS = {
    BEIJING: [("北京-101", 40), ("北京-102", 24)],
    SHANGHAI: [("上海-201", 30), ("上海-202", 16)],
}

PYTHON_SYLLABUS = """\
第一阶段：Python 基础（开发环境、基本语法、数据类型、流程控制、函数）
第二阶段：Python 进阶（模块与包、文件操作、异常处理、常用标准库）
第三阶段：面向对象编程（类与对象、继承与多态、反射、元类）
第四阶段：网络编程与并发（socket、多线程、多进程、协程）
第五阶段：数据库（MySQL 基础、索引与 SQL 优化、ORM）
第六阶段：Web 前端（HTML、CSS、JavaScript、jQuery、Bootstrap）
第七阶段：Django Web 开发（路由、视图、模板、ORM、表单、中间件、权限）
第八阶段：项目实战（从零开发一套 CRM 客户关系管理系统并部署上线）
"""

LINUX_SYLLABUS = """\
第一阶段：Linux 入门（系统安装、Shell 常用命令、文件系统、Vim 编辑器）
第二阶段：系统管理（用户与权限、软件包管理、进程与服务、磁盘与 LVM）
第三阶段：网络服务（网络配置、SSH 远程管理、防火墙、DNS 与 DHCP）
第四阶段：Web 架构（Nginx、LNMP 架构、负载均衡与高可用）
第五阶段：数据库运维（MySQL 安装与配置、主从复制、备份与恢复）
第六阶段：监控与自动化运维（Zabbix 监控、Shell 脚本、Ansible）
第七阶段：云原生（Docker 容器、镜像仓库、Kubernetes 入门）
"""

CONTRACT_TEXT = """\
职业技能培训协议

甲方（培训方）：本校{{ campus }}
乙方（学员）：{{ customer }}（身份证号：{{ id_number }}）

甲乙双方本着平等自愿的原则，就乙方参加甲方职业技能培训一事达成如下协议：

一、培训内容
课程：{{ course }}；班级：{{ class }}；上课地点：{{ campus }}。
开课日期：{{ start_date }}。具体教学内容以甲方公布的课程大纲为准。

二、培训费用
学费共计人民币 {{ price }} 元，包含授课、教材和上机实验费用。乙方应在开课前\
交清学费，或按双方约定分期缴纳。

三、甲方的权利和义务
1. 按课程大纲安排讲师授课，提供教学场地、设备和学习资料；
2. 为乙方建立学习档案，记录考勤、作业和成绩，并提供课后答疑；
3. 对乙方的个人信息严格保密，仅用于教学管理，不向任何第三方提供。

四、乙方的权利和义务
1. 按时上课，认真完成作业，遵守甲方的教学管理制度；
2. 不得将课程视频、讲义等学习资料转让或传播给他人；
3. 因个人原因缺课的，可申请插班补课，缺课部分不予退费。

五、退费
1. 开课前申请退学的，甲方全额退还已交学费；
2. 开课后申请退学的，按尚未消耗的课时占总课时的比例退还学费，扣除手续费 200 元；
3. 已消耗课时超过总课时一半的，不予退费；
4. 甲方在收到乙方书面退学申请后 15 个工作日内办理退费。

六、争议解决
因本协议发生争议的，双方应首先友好协商解决；协商不成的，可向甲方所在地人民\
法院提起诉讼。

七、本协议自乙方在线确认之日起生效。

签订日期：{{ date }}
"""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    description: str


DEMO_LOGINS = [
    DemoLogin("admin", ROLE_ADMIN, "administrator (superuser)"),
    DemoLogin("sales_a", ROLE_SALES, "sales A"),
    DemoLogin("sales_b", ROLE_SALES, "sales B"),
    DemoLogin("sales_c", ROLE_SALES, "sales C"),
    DemoLogin("sales_d", ROLE_SALES, "sales D"),
    DemoLogin("manager", ROLE_SALES_MANAGER, "sales manager"),
    DemoLogin("teacher", ROLE_TEACHER, f"teacher of {PYTHON_S9} and {LINUX_40}"),
    DemoLogin("student", ROLE_STUDENT, f"student of {PYTHON_S9}"),
    DemoLogin("finance", ROLE_FINANCE, "finance: refunds, receipts, balances"),
]

MENUS = [
    # name, url type, url, icon, order
    (MENU_ADMINISTRATION, "name", "kingadmin:index", "gear", 5),
    (
        MENU_MY_CUSTOMERS,
        "absolute",
        "/kingadmin/crm/customer/?mine=1",
        "people",
        10,
    ),
    (
        MENU_PUBLIC_POOL,
        "absolute",
        "/kingadmin/crm/customer/?pool=public",
        "inboxes",
        11,
    ),
    (
        MENU_ALL_CUSTOMERS,
        "absolute",
        "/kingadmin/crm/customer/",
        "person-lines-fill",
        12,
    ),
    (
        MENU_ENROLLMENTS_TO_REVIEW,
        "absolute",
        "/kingadmin/crm/enrollment/?state=submitted",
        "clipboard-check",
        13,
    ),
    (MENU_SALES_REPORTS, "name", "crm:reports", "bar-chart", 14),
    (MENU_LEAD_FORMS, "absolute", "/kingadmin/crm/leadform/", "ui-checks", 17),
    (MENU_DUPLICATES, "name", "crm:customer_duplicates", "people", 16),
    (MENU_LEAD_IMPORTS, "name", "crm:lead_import_list", "upload", 18),
    (MENU_MY_CLASSES, "name", "teacher:class_list", "easel", 20),
    (
        MENU_STUDENT_QUESTIONS,
        "name",
        "student:question_open_list",
        "question-circle",
        21,
    ),
    (MENU_QUESTIONS, "name", "student:questions", "chat-square-text", 31),
    (MENU_MY_STUDY, "name", "student:home", "mortarboard", 30),
    (MENU_MY_TIMETABLE, "name", "timetable:mine", "calendar-week", 32),
    (MENU_CAMPUS_TIMETABLE, "name", "timetable:campus", "calendar3", 15),
    (MENU_LEAVE_REQUESTS, "name", "timetable:leave_list", "calendar-x", 22),
    (MENU_BALANCES, "name", "finance:balances", "cash-stack", 40),
    (MENU_OVERDUE, "name", "finance:overdue", "hourglass-split", 41),
    (MENU_REFUNDS, "name", "finance:refunds", "arrow-return-left", 42),
    (MENU_FINANCE_REPORTS, "name", "finance:report", "graph-up", 43),
    (
        MENU_ASSIGNMENT_RULES,
        "absolute",
        "/kingadmin/crm/assignmentrule/",
        "shuffle",
        50,
    ),
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
    "finance.view_own_accounts",
    "finance.manage_own_accounts",
    "timetable.view_triallesson",
    # The REST API (api/): own tokens, and the rows of one's own lists.
    "api.use_api",
    "crm.api_customers",
    "crm.api_followups",
    "crm.api_enrollments",
    "crm.api_payments",
    "crm.api_classes",
]
ROLES = {
    # role: (home menu, menus, permissions)
    ROLE_ADMIN: (
        MENU_ADMINISTRATION,
        [
            MENU_ADMINISTRATION,
            MENU_ENROLLMENTS_TO_REVIEW,
            MENU_STUDENT_QUESTIONS,
            MENU_CAMPUS_TIMETABLE,
            MENU_LEAVE_REQUESTS,
        ],
        "__all__",
    ),
    ROLE_SALES: (
        MENU_MY_CUSTOMERS,
        [MENU_MY_CUSTOMERS, MENU_PUBLIC_POOL, MENU_ALL_CUSTOMERS, MENU_OVERDUE],
        SALES_PERMISSIONS,
    ),
    ROLE_SALES_MANAGER: (
        MENU_MY_CUSTOMERS,
        [
            MENU_MY_CUSTOMERS,
            MENU_PUBLIC_POOL,
            MENU_ALL_CUSTOMERS,
            MENU_ENROLLMENTS_TO_REVIEW,
            MENU_SALES_REPORTS,
            MENU_LEAD_FORMS,
            MENU_DUPLICATES,
            MENU_LEAD_IMPORTS,
            MENU_CAMPUS_TIMETABLE,
            MENU_BALANCES,
            MENU_OVERDUE,
            MENU_REFUNDS,
            MENU_FINANCE_REPORTS,
            MENU_ASSIGNMENT_RULES,
        ],
        [
            *SALES_PERMISSIONS,
            "crm.work_all_customers",
            "crm.view_assignmentrule",
            "crm.add_assignmentrule",
            "crm.change_assignmentrule",
            "crm.delete_assignmentrule",
            "crm.review_enrollments",
            "crm.view_id_numbers",
            "accounts.view_staff_users",
            "crm.view_customer",
            "crm.change_customer",
            "crm.change_enrollment",
            "crm.delete_customer",
            "crm.view_sales_reports",
            # Public lead forms (crm.capture): campaigns and what came in.
            "crm.view_leadform",
            "crm.add_leadform",
            "crm.change_leadform",
            "crm.view_leadsubmission",
            "crm.merge_customers",
            "crm.view_customermerge",
            # Spreadsheet imports of leads (crm.import_views).
            "crm.import_leads",
            # Websites and ad platforms sending leads through the lead forms.
            "crm.api_capture_leads",
            "timetable.view_campus_timetable",
            "finance.view_campus_accounts",
            "finance.decide_refunds",
            "finance.view_finance_reports",
        ],
    ),
    ROLE_TEACHER: (
        MENU_MY_CLASSES,
        [
            MENU_MY_CLASSES,
            MENU_MY_TIMETABLE,
            MENU_LEAVE_REQUESTS,
            MENU_STUDENT_QUESTIONS,
        ],
        [
            "teacher.use_teacher_portal",
            "timetable.view_own_timetable",
            "timetable.decide_leave",
            "timetable.view_classsession",
            "timetable.view_taught_trials",
            "crm.view_taught_classes",
            "teacher.view_courserecord",
            "teacher.add_courserecord",
            "teacher.change_courserecord",
            "teacher.view_studyrecord",
            "teacher.change_studyrecord",
            "student.view_question",
            "student.view_answer",
            "student.answer_questions",
            "api.use_api",
            "crm.api_classes",
            "timetable.api_sessions",
        ],
    ),
    ROLE_STUDENT: (
        MENU_MY_STUDY,
        [MENU_MY_STUDY, MENU_MY_TIMETABLE, MENU_QUESTIONS],
        [
            "student.use_student_portal",
            "timetable.view_own_timetable",
        ],
    ),
    ROLE_FINANCE: (
        MENU_BALANCES,
        [MENU_BALANCES, MENU_OVERDUE, MENU_REFUNDS, MENU_FINANCE_REPORTS],
        [
            "finance.view_all_accounts",
            "finance.manage_all_accounts",
            # Courses, campuses and classes: prices, and where a student moves.
            "crm.view_course",
            "crm.view_branch",
            "crm.view_classlist",
            "finance.decide_refunds",
            "finance.view_finance_reports",
        ],
    ),
}

USERS = [
    # username, display name, roles, campus, superuser
    ("admin", "管理员", [ROLE_ADMIN], BEIJING, True),
    ("sales_a", "销售A", [ROLE_SALES], BEIJING, False),
    ("sales_b", "销售B", [ROLE_SALES], BEIJING, False),
    ("sales_c", "销售C", [ROLE_SALES], SHANGHAI, False),
    ("sales_d", "销售D", [ROLE_SALES], SHANGHAI, False),
    ("manager", "销售经理", [ROLE_SALES, ROLE_SALES_MANAGER], BEIJING, False),
    ("teacher", "Alex 老师", [ROLE_TEACHER], BEIJING, False),
    ("student", "李雷", [ROLE_STUDENT], BEIJING, False),
    ("finance", "财务小王", [ROLE_FINANCE], BEIJING, False),
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
    "回电沟通，想报周末班。",
    "已通过 QQ 发送课程大纲，等待回复。",
]

# The hand-written leads: DEMO_LEADS of them, QQ numbers from _lead_qq.
DEMO_LEADS = 36


def _lead_qq(index: int) -> str:
    return str(31_000_000 + index * 7919)


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
        name=BEIJING, defaults={"address": "北京市海淀区中关村大街 1 号"}
    )
    shanghai, _ = Branch.objects.get_or_create(
        name=SHANGHAI, defaults={"address": "上海市浦东新区张江路 100 号"}
    )
    python, _ = Course.objects.get_or_create(
        name=PYTHON,
        defaults={
            "price": Decimal("19800"),
            "period_months": 6,
            "class_hours": Decimal("120.0"),
            "hours_per_lesson": Decimal("2.0"),
            "outline": PYTHON_SYLLABUS,
        },
    )
    linux, _ = Course.objects.get_or_create(
        name=LINUX,
        defaults={
            "price": Decimal("12800"),
            "period_months": 5,
            "class_hours": Decimal("80.0"),
            "hours_per_lesson": Decimal("2.0"),
            "outline": LINUX_SYLLABUS,
        },
    )
    contract, _ = ContractTemplate.objects.get_or_create(
        name=CONTRACT_NAME, defaults={"content": CONTRACT_TEXT}
    )
    s9, _ = ClassList.objects.get_or_create(
        branch=beijing,
        course=python,
        class_type=ClassList.ClassType.FULL_TIME,
        semester=9,
        defaults={
            "name": PYTHON_S9,
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
            "name": LINUX_40,
            "start_date": today + timedelta(days=14),
            "end_date": today + timedelta(days=14 + 150),
            "seats": 30,
            "contract_template": contract,
        },
    )
    for name in ("高意向", "学生", "在职", "转行"):
        Tag.objects.get_or_create(name=name)
    return {
        "branches": {BEIJING: beijing, SHANGHAI: shanghai},
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
    for i in range(DEMO_LEADS):
        qq = _lead_qq(i)
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
                "last_activity_at": created,
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
        customer.last_activity_at = max(latest, created)
        customer.save(update_fields=["last_followup_at", "last_activity_at"])


# One person entered twice: 销售B typed 陈静's mobile number into the QQ field.
DUPLICATE_NUMBER = "13622220001"


def _seed_duplicates(school: dict, users: dict[str, User]) -> None:
    """Create a pair of leads who are one person, for the duplicates page."""
    if Customer.objects.filter(
        models.Q(phone=DUPLICATE_NUMBER) | models.Q(qq=DUPLICATE_NUMBER)
    ).exists():
        return
    now = timezone.now()
    for username, days, fields, content in (
        (
            "sales_a",
            20,
            {"phone": DUPLICATE_NUMBER, "source": Customer.Source.BAIDU_ADS},
            "百度推广来的，咨询 Python 全栈，想报周末班。",
        ),
        (
            "sales_b",
            3,
            {
                "qq": DUPLICATE_NUMBER,
                "qq_name": "静待花开",
                "email": "chenjing@example.com",
                "source": Customer.Source.QQ_GROUP,
                "notes": "QQ 群里认识的，手机号填在了 QQ 栏。",
            },
            "QQ 群里聊过，对 Python 很感兴趣。",
        ),
    ):
        created = now - timedelta(days=days)
        customer = Customer.objects.create(
            name="陈静",
            consult_course=school["python"],
            consultant=users[username],
            created_at=created,
            last_followup_at=now - timedelta(days=1),
            last_activity_at=now - timedelta(days=1),
            **fields,
        )
        CustomerFollowUp.objects.create(
            customer=customer,
            consultant=users[username],
            content=content,
            intention=CustomerFollowUp.Intention.WITHIN_MONTH,
            created_at=customer.last_followup_at,
        )


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


@dataclass(frozen=True)
class DemoLesson:
    title: str
    content: str
    homework_title: str
    homework_requirements: str


LESSONS = [
    DemoLesson(
        "Python 基础与开发环境",
        "安装 Python 3 和 PyCharm，认识解释器与交互式环境，编写并运行第一个程序。",
        "编写 hello.py",
        "提交 hello.py：运行后打印你的姓名和当天的日期。",
    ),
    DemoLesson(
        "数据类型与流程控制",
        "数字、字符串、列表和字典；if 条件判断，while 与 for 循环。",
        "猜数字游戏",
        "编写猜数字游戏：随机生成 1 到 100 之间的整数，最多猜 7 次，"
        "每次提示猜大了还是猜小了。",
    ),
    DemoLesson(
        "函数与模块",
        "函数的定义与参数、作用域、匿名函数；导入模块，编写自己的模块。",
        "编写工具模块",
        "编写一个包含三个工具函数的模块，并为每个函数写好测试。",
    ),
]

# What the teacher writes under homework scored 80 or more.
GOOD_WORK_COMMENT = "完成得不错，代码清晰规范，继续保持！"


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
            _seed_account(enrollment, name, users)
        enrollments.append(enrollment)

    for number, demo_lesson in enumerate(LESSONS, start=1):
        lesson, created = CourseRecord.objects.get_or_create(
            class_list=s9,
            lesson_number=number,
            defaults={
                "teacher": teacher,
                "date": start + timedelta(days=2 * (number - 1)),
                "title": demo_lesson.title,
                "content": demo_lesson.content,
                "has_homework": True,
                "homework_title": demo_lesson.homework_title,
                "homework_requirements": demo_lesson.homework_requirements,
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
                record.teacher_comment = GOOD_WORK_COMMENT if score >= 80 else ""
                record.graded_by = teacher
                record.graded_at = lesson_time + timedelta(days=1)
            if attendance[number - 1] != "absent" and score is not None:
                record.homework_file.save(
                    f"lesson{number}.py",
                    ContentFile(
                        f"# {name}：{demo_lesson.homework_title}\n"
                        f"print('hello')\n".encode()
                    ),
                    save=False,
                )
                record.homework_original_name = f"lesson{number}.py"
                record.submitted_at = lesson_time
            record.save()
        consumption_sync(course_record_id=lesson.pk, by=teacher)


def _seed_account(enrollment: Enrollment, name: str, users: dict[str, User]) -> None:
    """Fix the contract terms and record the tuition: 李雷 pays in instalments.

    李雷's second instalment is overdue (half of it paid); the others paid
    the whole price at once, by various means.
    """
    finance = users["finance"]
    terms = terms_at_approval(enrollment=enrollment, by=users["admin"])
    if name == "李雷":
        today = timezone.localdate()
        plan = plan_even(
            price=terms.price, count=3, first_due=today - timedelta(days=35)
        )
        plan_set(enrollment=enrollment, instalments=plan, by=finance)
        payment_record(
            enrollment=enrollment,
            amount=plan[0][1],
            method=Receipt.Method.WECHAT,
            by=finance,
            note="第一期",
        )
        payment_record(
            enrollment=enrollment,
            amount=(plan[1][1] / 2).quantize(Decimal("0.01")),
            method=Receipt.Method.ALIPAY,
            by=finance,
            note="第二期（部分）",
        )
        return
    methods = [Receipt.Method.CARD, Receipt.Method.TRANSFER, Receipt.Method.CASH]
    payment_record(
        enrollment=enrollment,
        amount=terms.price,
        method=methods[enrollment.pk % len(methods)],
        by=finance,
        note="全款",
    )


def _seed_assignment_rules(school: dict, users: dict[str, User]) -> None:
    """Each campus shares its new leads among its sales; Baidu leads by load."""
    rules = [
        (
            "北京校区·轮流分配",
            {"campus": school["branches"][BEIJING], "priority": 100},
            AssignmentRule.Strategy.ROUND_ROBIN,
            ["sales_a", "sales_b"],
        ),
        (
            "上海校区·百度推广按负载分配",
            {
                "campus": school["branches"][SHANGHAI],
                "source": Customer.Source.BAIDU_ADS,
                "priority": 100,
            },
            AssignmentRule.Strategy.LEAST_LOADED,
            ["sales_c", "sales_d"],
        ),
        (
            "上海校区·轮流分配",
            {"campus": school["branches"][SHANGHAI], "priority": 200},
            AssignmentRule.Strategy.ROUND_ROBIN,
            ["sales_c", "sales_d"],
        ),
    ]
    for name, criteria, strategy, members in rules:
        rule, created = AssignmentRule.objects.get_or_create(
            name=name,
            defaults={**criteria, "strategy": strategy, "manager": users["manager"]},
        )
        if created:
            rule.members.set([users[username] for username in members])


def _seed_refund_policy() -> None:
    """The school's default policy, as the demo contract describes it."""
    policy = RefundPolicy.objects.filter(is_default=True).first()
    if policy is None:
        policy = RefundPolicy(is_default=True)
    policy.name = REFUND_POLICY
    policy.full_refund_before_start = True
    policy.fee = Decimal("200.00")
    policy.no_refund_after_percent = 50
    policy.absence_consumes = True
    policy.description = (
        "开课前全额退费；开课后按未消耗课时比例退费，扣除手续费 200 元；"
        "已消耗课时过半不予退费。"
    )
    policy.save()


def _seed_timetable(school: dict, users: dict[str, User]) -> None:
    """Rooms, holidays and this term's schedules of Python S9 and Linux 40.

    S9's three lessons already held get their (past) sessions; from this week
    on it meets Monday, Wednesday and Friday mornings in 北京-101; Linux 40
    meets weekend mornings in 上海-201 from its start. New Year's days are
    closed school-wide, one Saturday in Shanghai for maintenance.
    """
    from timetable.services import sessions_renumber

    rooms = {}
    for campus, entries in ROOMS.items():
        for name, seats in entries:
            rooms[name], _ = Room.objects.get_or_create(
                branch=school["branches"][campus],
                name=name,
                defaults={"capacity": seats},
            )
    today = timezone.localdate()
    new_year = today.replace(year=today.year + 1, month=1, day=1)
    Holiday.objects.get_or_create(
        name="元旦",
        branch=None,
        defaults={"first_day": new_year, "last_day": new_year + timedelta(days=2)},
    )
    maintenance = school["linux40"].start_date + timedelta(days=21)
    maintenance += timedelta(days=(5 - maintenance.weekday()) % 7)  # a Saturday
    Holiday.objects.get_or_create(
        name="上海校区设备检修",
        branch=school["branches"][SHANGHAI],
        defaults={"first_day": maintenance, "last_day": maintenance},
    )
    teacher, s9, linux40 = users["teacher"], school["s9"], school["linux40"]
    if not ClassSession.objects.filter(class_list=s9).exists():
        for lesson in CourseRecord.objects.filter(class_list=s9):
            starts_at = timezone.make_aware(datetime.combine(lesson.date, time(9, 30)))
            ClassSession.objects.create(
                class_list=s9,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=150),
                room=rooms["北京-101"],
                teacher=teacher,
                topic=lesson.title,
                course_record=lesson,
            )
        monday = today - timedelta(days=today.weekday())
        _seed_schedule(
            s9,
            weekdays=[1, 3, 5],
            start_time=time(9, 30),
            duration_minutes=150,
            room=rooms["北京-101"],
            teacher=teacher,
            first_date=max(monday, today - timedelta(days=3), s9.start_date),
        )
        sessions_renumber(class_list=s9)
    if not ClassSession.objects.filter(class_list=linux40).exists():
        _seed_schedule(
            linux40,
            weekdays=[6, 7],
            start_time=time(9, 0),
            duration_minutes=180,
            room=rooms["上海-201"],
            teacher=teacher,
            first_date=max(linux40.start_date, today),
        )


def _seed_trials(school: dict, users: dict[str, User]) -> None:
    """Trial lessons (试听): leads booked into S9 and Linux 40, one already came.

    销售A's lead tried S9's last session held and came; 销售A and 销售B have a
    lead booked into S9's next session, 销售C one into Linux 40's first.
    """
    from timetable.models import TrialLesson
    from timetable.trials import trial_book

    if TrialLesson.objects.exists():
        return
    now = timezone.now()
    leads = Customer.objects.filter(
        qq__in=[_lead_qq(i) for i in range(DEMO_LEADS)],
        status=Customer.Status.NOT_ENROLLED,
        pool=Customer.Pool.PRIVATE,
    ).order_by("-last_activity_at", "pk")

    # Chosen before anything below works them (and reorders them).
    chosen = {
        (username, rank): lead
        for username in ("sales_a", "sales_b", "sales_c")
        for rank, lead in enumerate(leads.filter(consultant=users[username])[:2])
    }

    def next_session(class_list: ClassList) -> ClassSession | None:
        return (
            ClassSession.objects.filter(
                class_list=class_list,
                status=ClassSession.Status.SCHEDULED,
                starts_at__gt=now,
            )
            .order_by("starts_at")
            .first()
        )

    held = (
        ClassSession.objects.filter(
            class_list=school["s9"],
            status=ClassSession.Status.SCHEDULED,
            starts_at__lt=now,
        )
        .order_by("-starts_at")
        .first()
    )
    came = chosen.get(("sales_a", 1))
    if held is not None and came is not None:
        month_start = timezone.make_aware(
            datetime.combine(timezone.localdate().replace(day=1), time())
        )
        booked_at = min(max(held.starts_at - timedelta(days=1), month_start), now)
        trial = TrialLesson.objects.create(
            customer=came,
            session=held,
            booked_by=users["sales_a"],
            state=TrialLesson.State.ATTENDED,
            note="想先体验一下课堂氛围",
        )
        TrialLesson.objects.filter(pk=trial.pk).update(booked_at=booked_at)
        Customer.objects.filter(pk=came.pk).update(last_activity_at=now)
    for username, class_list, note in (
        ("sales_a", school["s9"], "周末有空，先试听"),
        ("sales_b", school["s9"], ""),
        ("sales_c", school["linux40"], "零基础，想了解 Linux 课程"),
    ):
        lead, session = chosen.get((username, 0)), next_session(class_list)
        if lead is not None and session is not None:
            trial_book(customer=lead, session=session, by=users[username], note=note)


# Public lead forms (crm.capture): name, campus, course, source, owner when
# no rule applies, and who came in through it (name, phone, message; no
# phone: the number of a demo lead, who thus came again).
LEAD_FORMS = [
    (
        "百度推广·Python全栈 2026冬",
        SHANGHAI,
        PYTHON,
        Customer.Source.BAIDU_ADS,
        "sales_c",
        [
            ("陈子涵", "13700001001", "想了解周末班的上课时间"),
            ("周浩然", "13700001002", ""),
            ("", None, "上次咨询过，想再问问学费分期"),
        ],
    ),
    (
        "知乎·Linux 运维 2026冬",
        BEIJING,
        LINUX,
        Customer.Source.ZHIHU,
        "sales_a",
        [("吴雨轩", "13700001003", "零基础可以学吗？")],
    ),
]


def _seed_lead_forms(school: dict, users: dict[str, User]) -> None:
    """Two campaigns' lead forms, with a few visitors who filled them in."""
    from crm.capture import lead_form_submit
    from crm.models import LeadForm

    courses = {PYTHON: school["python"], LINUX: school["linux"]}
    returning = Customer.objects.filter(qq=_lead_qq(2)).values_list("phone", flat=True)
    for name, campus, course, source, owner, visitors in LEAD_FORMS:
        form, created = LeadForm.objects.get_or_create(
            name=name,
            defaults={
                "title": f"免费试听 · {course}",
                "intro": "留下手机号或 QQ，课程顾问将在 24 小时内与您联系。",
                "fields": ["name", "notes"],
                "source": source,
                "campus": school["branches"][campus],
                "course": courses[course],
                "owner": users[owner],
                "thank_you": "提交成功！课程顾问会尽快与您联系，请保持电话畅通。",
                "created_by": users["manager"],
            },
        )
        if not created:
            continue
        for visitor, phone, message in visitors:
            number = phone or returning.first()
            if number is None:
                continue
            lead_form_submit(
                form=form,
                data={"name": visitor, "phone": number, "notes": message},
                utm={
                    "utm_source": "baidu" if source == "baidu_ads" else "zhihu",
                    "utm_medium": "cpc",
                    "utm_campaign": "winter_2026",
                },
                referrer="",
            )


def _seed_schedule(class_list: ClassList, *, first_date, **pattern) -> None:
    """Schedule ``class_list`` from ``first_date`` to its end (if it has not ended)."""
    from timetable.services import schedule_create

    last_date = class_list.end_date or class_list.start_date + timedelta(days=180)
    if last_date >= first_date:
        schedule_create(
            class_list=class_list,
            first_date=first_date,
            last_date=last_date,
            **pattern,
        )


# The demo data of releases before issue 10 was English. _upgrade_previous_demo
# turns it into the data above; these are its old names and texts.
PREVIOUS_NAMES: dict[type[models.Model], dict[str, str]] = {
    # model: {old name: new name}
    Branch: {"Beijing": BEIJING, "Shanghai": SHANGHAI},
    Course: {"Python": PYTHON, "Linux": LINUX},
    ContractTemplate: {"Standard training agreement": CONTRACT_NAME},
    Role: {
        "Admin": ROLE_ADMIN,
        "Sales": ROLE_SALES,
        "Sales manager": ROLE_SALES_MANAGER,
        "Teacher": ROLE_TEACHER,
        "Student": ROLE_STUDENT,
    },
    Menu: {
        "Administration": MENU_ADMINISTRATION,
        "My customers": MENU_MY_CUSTOMERS,
        "Stale leads": MENU_PUBLIC_POOL,
        "All customers": MENU_ALL_CUSTOMERS,
        "Enrollments to review": MENU_ENROLLMENTS_TO_REVIEW,
        "Sales reports": MENU_SALES_REPORTS,
        "My classes": MENU_MY_CLASSES,
        "Students' questions": MENU_STUDENT_QUESTIONS,
        "Questions and answers": MENU_QUESTIONS,
        "My study": MENU_MY_STUDY,
    },
}
PREVIOUS_CLASS_NAMES = {
    # (campus, course, semester): (old name, new name)
    (BEIJING, PYTHON, 9): ("Python full-stack S9", PYTHON_S9),
    (SHANGHAI, LINUX, 40): ("Linux 40", LINUX_40),
}
PREVIOUS_PYTHON_SYLLABUS = """\
1. Python basics: syntax, data types, control flow, functions
2. Modules, packages, files and exceptions
3. Object-oriented programming
4. Networking and concurrency
5. Databases: MySQL and the ORM
6. Front end: HTML, CSS, JavaScript, Bootstrap
7. Django web development
8. Project: a CRM from scratch
"""
PREVIOUS_LINUX_SYLLABUS = """\
1. Linux installation, shell and file system
2. Users, permissions and processes
3. Networking, SSH and firewalls
4. Web services: Nginx, LNMP
5. Databases and backups
6. Monitoring and automation: Zabbix, Ansible
7. Containers: Docker and Kubernetes basics
"""
PREVIOUS_CONTRACT_TEXT = """\
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
PREVIOUS_LESSONS = [
    DemoLesson(
        "Python basics and the development environment",
        "Python basics and the development environment.",
        "Install Python, write hello.py",
        "Submit hello.py printing your name and the date.",
    ),
    DemoLesson(
        "Data types and control flow",
        "Data types and control flow.",
        "Guess-the-number game",
        "Write a number guessing game with at most 7 tries.",
    ),
    DemoLesson(
        "Functions and modules",
        "Functions and modules.",
        "A small library module",
        "Write a module with three tested helper functions.",
    ),
]
PREVIOUS_GOOD_WORK_COMMENT = "Good work."
PREVIOUS_FOLLOWUP_TEXTS = {
    # old text: new text
    "Called back, wants the weekend class.": FOLLOWUP_TEXTS[6],
    "Sent the syllabus by QQ, waiting for an answer.": FOLLOWUP_TEXTS[7],
}


def _replace_old_text(rows: models.QuerySet, field: str, old: str, new: str) -> None:
    """Set ``field`` of ``rows`` to ``new`` where it still holds ``old``."""
    rows.filter(**{field: old}).update(**{field: new})


def _upgrade_previous_demo() -> None:
    """Rename the demo rows of an earlier (English) release to today's names.

    A row keeps its primary key and everything that points to it; it is left
    alone when a row of the new name exists already (then the old one is not
    the demo's). A text is replaced only while it still is the old demo text,
    so what an admin or a teacher changed stays.
    """
    for model, renames in PREVIOUS_NAMES.items():
        taken = set(
            model.objects.filter(name__in=renames.values()).values_list(
                "name", flat=True
            )
        )
        for old, new in renames.items():
            if new not in taken:
                model.objects.filter(name=old).update(name=new)
    classes = {}
    for (campus, course, semester), (old, new) in PREVIOUS_CLASS_NAMES.items():
        classes[new] = ClassList.objects.filter(
            branch__name=campus, course__name=course, semester=semester
        )
        _replace_old_text(classes[new], "name", old, new)

    courses = Course.objects.all()
    _replace_old_text(
        courses.filter(name=PYTHON),
        "outline",
        PREVIOUS_PYTHON_SYLLABUS,
        PYTHON_SYLLABUS,
    )
    _replace_old_text(
        courses.filter(name=LINUX), "outline", PREVIOUS_LINUX_SYLLABUS, LINUX_SYLLABUS
    )
    _replace_old_text(
        ContractTemplate.objects.filter(name=CONTRACT_NAME),
        "content",
        PREVIOUS_CONTRACT_TEXT,
        CONTRACT_TEXT,
    )
    lessons = CourseRecord.objects.filter(class_list__in=classes[PYTHON_S9])
    for number, (old, new) in enumerate(
        zip(PREVIOUS_LESSONS, LESSONS, strict=True), start=1
    ):
        for field in ("title", "content", "homework_title", "homework_requirements"):
            _replace_old_text(
                lessons.filter(lesson_number=number),
                field,
                getattr(old, field),
                getattr(new, field),
            )
    _replace_old_text(
        StudyRecord.objects.filter(course_record__in=lessons),
        "teacher_comment",
        PREVIOUS_GOOD_WORK_COMMENT,
        GOOD_WORK_COMMENT,
    )
    # Only the hand-written leads: generated (benchmark) follow-ups are
    # millions of rows and keep their texts.
    followups = CustomerFollowUp.objects.filter(
        customer__qq__in=[_lead_qq(i) for i in range(DEMO_LEADS)]
    )
    for old, new in PREVIOUS_FOLLOWUP_TEXTS.items():
        _replace_old_text(followups, "content", old, new)


@transaction.atomic
def seed_demo() -> None:
    """Create (or complete) the scenario data of MISSION.md."""
    from kingadmin.rules_sync import sync_rule_permissions

    # Rules declared since the last migrate get their Permission rows now.
    sync_rule_permissions()
    _upgrade_previous_demo()
    school = _seed_school()
    _seed_refund_policy()
    _seed_roles()
    users = _seed_users(school)
    _seed_assignment_rules(school, users)
    _seed_leads(school, users)
    _seed_lead_forms(school, users)
    _seed_duplicates(school, users)
    _seed_class_s9(school, users)
    _seed_timetable(school, users)
    _seed_trials(school, users)
    # Leads nobody worked for CRM_STALE_LEAD_DAYS are in the public pool.
    customers_fall_back()


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
    consultants = list(User.objects.filter(roles__name=ROLE_SALES).distinct())
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
            entered = now - timedelta(minutes=rng.randint(60, 3 * 365 * 1440))
            batch.append(
                Customer(
                    name=name,
                    qq=str(GENERATED_QQ_BASE + n),
                    phone=str(GENERATED_PHONE_BASE + n) if n % 3 else None,
                    source=rng.choice(sources),
                    consult_course=rng.choice(courses),
                    consultant=rng.choice(consultants),
                    created_at=entered,
                    last_activity_at=entered,
                )
            )
        with transaction.atomic():
            Customer.objects.bulk_create(batch)
            index_customers(batch, new=True)
        created.extend((c.pk, c.created_at, c.consultant_id) for c in batch)
    return created


FOLLOWUP_COLUMNS = (
    "customer_id",
    "consultant_id",
    "content",
    "intention",
    "created_at",
)


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
    adapt = connection.ops.adapt_datetimefield_value
    for offset in range(0, count, batch_size):
        rows = []
        for _ in range(min(batch_size, count - offset)):
            pk, created, consultant_id = rng.choice(customers)
            span = max(int((now - created).total_seconds()), 60)
            at = created + timedelta(seconds=rng.randint(0, span))
            text, intention = rng.choice(FOLLOWUP_TEXTS), rng.choice(intentions)
            rows.append((pk, consultant_id, text, intention, adapt(at)))
        with transaction.atomic():
            insert_rows(CustomerFollowUp, FOLLOWUP_COLUMNS, rows)
    latest = (
        CustomerFollowUp.objects.filter(customer=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    pks = [pk for pk, _created, _owner in customers]
    Customer.objects.filter(pk__gte=min(pks), pk__lte=max(pks)).update(
        last_followup_at=Subquery(latest),
        last_activity_at=Coalesce(Subquery(latest), F("created_at")),
    )
