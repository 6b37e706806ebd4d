"""Row scope declared once: children inherit, hooks replace, choices follow."""

import pytest
from django.test import RequestFactory

from crm.models import Customer, CustomerFollowUp, Payment
from kingadmin.permissions import (
    PermissionRule,
    Route,
    RuleRegistry,
    all_rows,
)
from kingadmin.sites import site
from tests.factories import (
    CourseFactory,
    CustomerFactory,
    FollowUpFactory,
    PaymentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_a_child_rule_without_hook_allows_the_rows_of_visible_parents(user_with):
    sales = user_with("crm.view_own_customers", "crm.view_customerfollowup")
    mine = FollowUpFactory(customer=CustomerFactory(consultant=sales))
    FollowUpFactory()
    from kingadmin.permissions import registry

    rows = registry.visible(request_of(sales), CustomerFollowUp)
    assert list(rows) == [mine]


def test_grandchildren_follow_the_chain_of_parents(user_with):
    sales = user_with(
        "crm.view_own_customers", "crm.view_enrollment", "crm.view_payment"
    )
    mine = PaymentFactory(enrollment__customer=CustomerFactory(consultant=sales))
    PaymentFactory()
    from kingadmin.permissions import registry

    assert list(registry.visible(request_of(sales), Payment)) == [mine]


def test_without_a_view_rule_on_the_parent_a_child_rule_shows_nothing(user_with):
    user = user_with("crm.view_customerfollowup")
    FollowUpFactory()
    from kingadmin.permissions import registry

    assert not registry.visible(request_of(user), CustomerFollowUp).exists()


def test_an_unrestricted_parent_rule_leaves_the_child_unrestricted(user_with):
    manager = user_with("crm.view_customer", "crm.view_customerfollowup")
    FollowUpFactory.create_batch(2)
    from kingadmin.permissions import registry

    rows = registry.visible(request_of(manager), CustomerFollowUp)
    # No subquery at all: every row, the parents' rule allows them all.
    assert "IN (SELECT" not in str(rows.query)
    assert rows.count() == 2


def make_registry():
    registry = RuleRegistry()
    registry.inherit_scope("crm.customerfollowup", through="customer")
    return registry


def test_own_hook_replaces_and_all_rows_widens_the_inherited_scope(user_with):
    registry = make_registry()
    kw = {"app_label": "crm", "model_name": "customerfollowup"}
    route = (Route("kingadmin:changelist", {"GET"}, kw),)
    registry.register(
        PermissionRule(
            "crm.customerfollowup",
            "view_customerfollowup",
            "x",
            route,
        )
    )
    user = user_with("crm.view_customerfollowup")
    FollowUpFactory.create_batch(2)
    decision = registry.decide(user, url_name="kingadmin:changelist", url_kwargs=kw)
    # No rule of this registry lets the user view customers: nothing inherited.
    assert not decision.scope(request_of(user), CustomerFollowUp.objects).exists()
    widened = RuleRegistry()
    widened.inherit_scope("crm.customerfollowup", through="customer")
    widened.register(
        PermissionRule(
            "crm.customerfollowup", "view_customerfollowup", "x", route, all_rows
        )
    )
    decision = widened.decide(user, url_name="kingadmin:changelist", url_kwargs=kw)
    assert decision.scope(request_of(user), CustomerFollowUp.objects).count() == 2


@pytest.mark.parametrize(
    ("model", "path", "message"),
    [
        ("crm.payment", "nope", "not a relation path"),
        ("crm.payment", "amount", "foreign keys only"),
        ("crm.customer", "tags", "foreign keys only"),
    ],
)
def test_a_wrong_scope_declaration_is_refused(model, path, message):
    with pytest.raises(ValueError, match=message):
        RuleRegistry().inherit_scope(model, through=path)


def test_a_cycle_of_parents_is_refused():
    registry = RuleRegistry()
    with pytest.raises(ValueError, match="cycle"):
        registry.inherit_scope("accounts.menu", through="parent")
    registry.inherit_scope("crm.payment", through="enrollment")
    with pytest.raises(ValueError, match="one parent"):
        registry.inherit_scope("crm.payment", through="consultant")


def test_foreign_key_choices_are_the_related_rows_the_user_may_view(client, user_with):
    sales = user_with(
        "crm.view_own_customers", "crm.add_customerfollowup", "crm.view_course"
    )
    mine, theirs = CustomerFactory(consultant=sales), CustomerFactory()
    client.force_login(sales)
    form = client.get("/kingadmin/crm/customerfollowup/add/").context["form"]
    assert list(form.fields["customer"].queryset) == [mine]
    # The consultant is the user: shown, never chosen.
    assert form.fields["consultant"].disabled
    response = client.post(
        "/kingadmin/crm/customerfollowup/add/",
        {"customer": theirs.pk, "content": "x", "intention": "no_plan", "_save": ""},
    )
    assert "customer" in response.context["form"].errors
    assert not CustomerFollowUp.objects.exists()
    response = client.post(
        "/kingadmin/crm/customerfollowup/add/",
        {"customer": mine.pk, "content": "x", "intention": "no_plan", "_save": ""},
    )
    assert response.status_code == 302, response.context["form"].errors
    followup = CustomerFollowUp.objects.get()
    assert (followup.customer, followup.consultant) == (mine, sales)


def test_formfield_for_foreignkey_is_the_hook_a_project_overrides(user_with):
    admin = site.get_model_admin(Customer)
    user = user_with("crm.view_course")
    python, _linux = CourseFactory(name="Python"), CourseFactory(name="Linux")
    field = Customer._meta.get_field("consult_course")

    class Narrow(type(admin)):
        def formfield_for_foreignkey(self, db_field, request, **kwargs):
            if db_field.name == "consult_course":
                kwargs["queryset"] = self.related_rows(
                    request, db_field.related_model
                ).filter(name="Python")
            return super().formfield_for_foreignkey(db_field, request, **kwargs)

    narrowed = Narrow(Customer, site).formfield_for_dbfield(field, request_of(user))
    assert list(narrowed.queryset) == [python]


def test_a_filter_offers_only_visible_related_rows(client, user_with):
    sales = user_with("crm.view_own_customers")
    CustomerFactory(consultant=sales)
    client.force_login(sales)
    response = client.get("/kingadmin/crm/customer/")
    paths = {
        getattr(spec, "field_path", None) for spec in response.context["cl"].filters
    }
    # Sales may view no accounts: the consultant filter has nothing to offer.
    assert "consultant" not in paths
    other = UserFactory()
    response = client.get("/kingadmin/crm/customer/", {"consultant": other.pk})
    assert "consultant" in response.context["cl"].ignored
