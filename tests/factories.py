"""factory_boy factories for every domain model, in one place."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Menu, Notification, Role, User
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


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Campus {n}")
    address = "1 School Road"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username.title())
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.roles.set(extracted)
        if create:
            self.save()


class MenuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Menu

    name = factory.Sequence(lambda n: f"Menu {n}")
    url_type = Menu.UrlType.ABSOLUTE
    # The home page: resolvable and guarded by no rule, so every user sees it.
    url = "/"
    order = 100


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Role {n}")

    @factory.post_generation
    def menus(self, create, extracted, **kwargs):
        if create and extracted:
            self.menus.set(extracted)

    @factory.post_generation
    def permissions(self, create, extracted, **kwargs):
        if create and extracted:
            self.permissions.set(extracted)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Course {n}")
    price = Decimal("9800.00")
    period_months = 4
    outline = "1. Basics\n2. Advanced"


class ContractTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractTemplate

    name = factory.Sequence(lambda n: f"Contract {n}")
    content = "{{ customer }} enrols in {{ class }} for {{ price }}."


class ClassListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassList
        skip_postgeneration_save = True

    branch = factory.SubFactory(BranchFactory)
    course = factory.SubFactory(CourseFactory)
    class_type = ClassList.ClassType.FULL_TIME
    semester = factory.Sequence(lambda n: n + 1)
    start_date = date(2026, 9, 1)
    end_date = factory.LazyAttribute(lambda o: o.start_date + timedelta(days=180))
    contract_template = factory.SubFactory(ContractTemplateFactory)

    @factory.post_generation
    def teachers(self, create, extracted, **kwargs):
        if create and extracted:
            self.teachers.set(extracted)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Lead {n}")
    qq = factory.Sequence(lambda n: str(100000 + n))
    # 135...: never a number of the demo data (seed_demo), which tests load too.
    phone = factory.Sequence(lambda n: f"135{n:08d}")
    source = Customer.Source.QQ_GROUP
    consult_course = factory.SubFactory(CourseFactory)
    consultant = factory.SubFactory(UserFactory)


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerFollowUp

    customer = factory.SubFactory(CustomerFactory)
    consultant = factory.SelfAttribute("customer.consultant")
    content = "Called, interested."
    intention = CustomerFollowUp.Intention.WITHIN_MONTH


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    customer = factory.SubFactory(CustomerFactory)
    class_list = factory.SubFactory(ClassListFactory)
    consultant = factory.SelfAttribute("customer.consultant")

    class Params:
        approved = factory.Trait(
            state=Enrollment.State.APPROVED,
            contract_agreed=True,
            contract_agreed_at=factory.LazyFunction(timezone.now),
            submitted_at=factory.LazyFunction(timezone.now),
            approved_by=factory.SubFactory(UserFactory),
            approved_at=factory.LazyFunction(timezone.now),
        )


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    enrollment = factory.SubFactory(EnrollmentFactory)
    kind = Payment.Kind.TUITION
    amount = Decimal("1000.00")
    consultant = factory.SelfAttribute("enrollment.consultant")


class CourseRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseRecord

    class_list = factory.SubFactory(ClassListFactory)
    lesson_number = factory.Sequence(lambda n: n + 1)
    teacher = factory.SubFactory(UserFactory)
    date = date(2026, 9, 1)
    title = "Lesson"
    has_homework = True
    homework_title = "Homework"


class StudyRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudyRecord

    enrollment = factory.SubFactory(EnrollmentFactory, approved=True)
    course_record = factory.SubFactory(CourseRecordFactory)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    text = "Something happened"
    link = "/"
