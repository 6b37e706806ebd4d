"""The kingadmin registry: registering models, their defaults, rules and pages."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import translation

import kingadmin
from accounts.models import User
from crm.models import Branch, Customer
from kingadmin import AdminSite, AlreadyRegistered, ModelAdmin, NotRegistered
from kingadmin.permissions import (
    PermissionRule,
    Route,
    RuleRegistry,
    model_rules,
    registry,
)
from kingadmin.sites import index_rule
from student.models import Answer, Question
from tests.domain_models import DOMAIN_APPS, domain_models
from tests.factories import NotificationFactory, RoleFactory, UserFactory

# auth.Group is on no kingadmin site, so a fresh site may register it and
# unregister it without touching the rules of the project's own site.
GROUP = {"app_label": "auth", "model_name": "group"}
GROUP_PERMS = tuple(f"auth.{op}_group" for op in ("view", "add", "change", "delete"))


class GroupAdmin(ModelAdmin):
    list_display = ("name",)
    actions = ("delete_selected", "rename")

    def rename(self, request, queryset):
        """Stand-in bulk action."""


class Stamped(models.Model):
    created_at = models.DateTimeField()

    class Meta:
        abstract = True
        app_label = "kingadmin"


@pytest.fixture(autouse=True)
def _group_rules_removed():
    """Drop the rules a fresh site added for auth.Group to the global registry."""
    yield
    for perm in GROUP_PERMS:
        if perm in registry:
            registry.unregister(perm)


@pytest.fixture
def site():
    site = AdminSite("test")
    yield site
    for model in list(site._registry):
        site.unregister(model)
    site.rules.retract(index_rule(site.name))


@pytest.fixture
def other():
    other = AdminSite("other")
    yield other
    for model in list(other._registry):
        other.unregister(model)
    other.rules.retract(index_rule(other.name))


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "r@example.com", "pw-for-tests-1")


def user_holding(*names: str) -> User:
    found = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in (name.split(".") for name in names)
    ]
    return UserFactory(roles=[RoleFactory(permissions=found)])


# ------------------------------------------------------------------ register


def test_model_registered_without_admin_class_gets_the_base_defaults(site):
    site.register(Group)

    admin = site.get_model_admin(Group)
    assert type(admin) is ModelAdmin
    assert (admin.model, admin.admin_site) == (Group, site)
    assert admin.list_display == ("__str__",)
    assert admin.list_per_page == 25
    assert "delete_selected" in admin.actions


def test_registering_a_model_twice_names_the_model_and_the_existing_admin(site):
    site.register(Group, GroupAdmin)

    with pytest.raises(AlreadyRegistered) as error:
        site.register(Group)

    assert str(error.value) == (
        "The model auth.Group is already registered with kingadmin by "
        "tests.kingadmin.test_registry.GroupAdmin."
    )
    assert type(site.get_model_admin(Group)) is GroupAdmin


def test_registering_a_project_model_again_names_its_app_admin_class():
    with pytest.raises(AlreadyRegistered) as error:
        kingadmin.site.register(Customer)

    assert str(error.value) == (
        "The model crm.Customer is already registered with kingadmin by "
        "crm.kingadmin.CustomerAdmin."
    )
    assert type(kingadmin.site.get_model_admin(Customer)).__name__ == "CustomerAdmin"


def test_unregistered_model_can_be_registered_again_with_another_admin(site):
    site.register(Group, GroupAdmin)
    site.unregister(Group)
    assert not site.is_registered(Group)

    site.register(Group)

    assert type(site.get_model_admin(Group)) is ModelAdmin


def test_unregistering_a_model_that_is_not_registered_raises_not_registered(site):
    with pytest.raises(NotRegistered, match=r"^The model auth\.Group is not regi"):
        site.unregister(Group)
    with pytest.raises(NotRegistered):
        site.get_model_admin(Group)


def test_abstract_model_is_refused(site):
    with pytest.raises(ImproperlyConfigured, match="Stamped is abstract"):
        site.register(Stamped)

    assert not site.is_registered(Stamped)


def test_register_decorator_registers_the_admin_class_and_returns_it_unchanged(
    monkeypatch, site
):
    monkeypatch.setattr("kingadmin.sites.site", site)

    decorated = kingadmin.register(Group)(GroupAdmin)

    assert decorated is GroupAdmin
    assert type(site.get_model_admin(Group)) is GroupAdmin


@pytest.mark.parametrize("app_label", DOMAIN_APPS)
def test_every_domain_model_is_on_the_project_site(app_label):
    missing = [
        m._meta.label
        for m in domain_models(app_label)
        if not kingadmin.site.is_registered(m)
    ]
    assert missing == []


# -------------------------------------------------------------------- rules


def test_registering_a_model_adds_its_view_add_change_delete_rules(site):
    site.register(Group, GroupAdmin)

    assert all(perm in registry for perm in GROUP_PERMS)
    assert Route("test:changelist", {"GET", "POST"}, GROUP) in (
        registry.get("auth.view_group").routes
    )
    assert Route("test:add", {"GET", "POST"}, GROUP) in (
        registry.get("auth.add_group").routes
    )
    # Custom actions are a change; delete_selected is a delete.
    assert Route("test:action", {"POST"}, {**GROUP, "action": "rename"}) in (
        registry.get("auth.change_group").routes
    )
    assert Route("test:action", {"POST"}, {**GROUP, "action": "delete_selected"}) in (
        registry.get("auth.delete_group").routes
    )


def test_unregistering_a_model_removes_its_rules(site):
    site.register(Group)

    site.unregister(Group)

    assert not any(perm in registry for perm in GROUP_PERMS)


@pytest.mark.django_db
def test_holder_of_view_permission_may_list_the_model_only_while_registered(site):
    viewer = user_holding("auth.view_group")

    def may(url_name, method="GET"):
        return bool(
            registry.decide(viewer, url_name=url_name, method=method, url_kwargs=GROUP)
        )

    assert not may("test:changelist")
    site.register(Group)
    assert may("test:changelist")
    assert not may("test:add", "POST")
    site.unregister(Group)
    assert not may("test:changelist")


def test_project_models_have_their_default_rules():
    for model in (Customer, User, Answer):
        admin = kingadmin.site.get_model_admin(model)
        for rule in model_rules(model, actions=admin.action_permissions()):
            assert registry.get(rule.perm).routes == rule.routes


def test_default_rule_names_do_not_depend_on_the_active_language():
    with translation.override("zh-hans"):
        names = [rule.name for rule in model_rules(Customer)]

    assert names == [
        "Can view customer",
        "Can add customer",
        "Can change customer",
        "Can delete customer",
    ]


def test_another_site_may_register_a_project_model_with_the_same_rules(site):
    site.register(Branch)

    assert site.is_registered(Branch)


class CustomerWithActionAdmin(ModelAdmin):
    actions = ("delete_selected", "mark_enrolled")

    def mark_enrolled(self, request, queryset):
        """Stand-in bulk action."""


def test_registration_refused_by_the_rule_registry_leaves_the_model_unregistered(
    site,
):
    own = RuleRegistry()
    own.register(
        PermissionRule("auth.group", "view_group", "Something else", (Route("x"),))
    )
    strict = AdminSite("strict", rules=own)

    with pytest.raises(ValueError, match="declared twice"):
        strict.register(Group)

    assert not strict.is_registered(Group)
    assert [rule.name for rule in own] == [
        "Something else",
        "Can open the kingadmin index",
    ]


@pytest.mark.django_db
def test_unregistering_from_one_site_keeps_the_model_usable_on_another(site, other):
    viewer = user_holding("auth.view_group")
    site.register(Group)
    other.register(Group)

    other.unregister(Group)

    assert site.is_registered(Group)
    assert registry.decide(viewer, url_name="test:changelist", url_kwargs=GROUP)
    assert not registry.decide(viewer, url_name="other:changelist", url_kwargs=GROUP)


# -------------------------------------------------------------------- pages


def test_notification_without_admin_class_is_listed_and_can_be_added(client, superuser):
    NotificationFactory(text="Lead 42 was assigned to you")
    client.force_login(superuser)

    listing = client.get("/kingadmin/accounts/notification/")
    assert listing.status_code == 200
    assert [str(row.obj) for row in listing.context["rows"]] == [
        "Lead 42 was assigned to you"
    ]
    assert "Lead 42 was assigned to you" in listing.content.decode()

    adding = client.get("/kingadmin/accounts/notification/add/")
    assert adding.status_code == 200
    assert list(adding.context["form"].fields) == [
        "recipient",
        "text",
        "link",
        "is_read",
    ]


def test_answer_without_admin_class_is_listed_and_can_be_added(client, superuser):
    question = Question.objects.create(
        author=UserFactory(), title="Decorators?", body="How do they work?"
    )
    Answer.objects.create(question=question, author=superuser, body="Functions.")
    client.force_login(superuser)

    listing = client.get("/kingadmin/student/answer/")
    assert listing.status_code == 200
    assert [str(row.obj) for row in listing.context["rows"]] == ["Functions."]

    adding = client.get("/kingadmin/student/answer/add/")
    assert adding.status_code == 200
    assert list(adding.context["form"].fields) == ["question", "author", "body"]


@pytest.mark.parametrize(
    "url",
    [
        "/kingadmin/crm/nosuchmodel/",
        "/kingadmin/crm/nosuchmodel/add/",
        "/kingadmin/crm/nosuchmodel/1/change/",
        "/kingadmin/auth/group/",  # a real model, on no kingadmin site
    ],
)
def test_unknown_or_unregistered_model_is_not_found(client, superuser, url):
    client.force_login(superuser)

    assert client.get(url).status_code == 404
