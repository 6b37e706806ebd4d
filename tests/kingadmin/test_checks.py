"""System checks: each wrong option is reported once, with a stable id."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts.models import User
from crm.models import Branch, ClassList, ContractTemplate, Course, Customer, Tag
from kingadmin import AdminSite, ModelAdmin, SimpleListFilter
from kingadmin.checks import check_kingadmin, check_model_admin, check_rules
from kingadmin.filters import DateFieldListFilter
from kingadmin.permissions import PermissionRule, Route, registry
from kingadmin.sites import site

CUSTOMER = {"app_label": "crm", "model_name": "customer"}


class ByOwnerFilter(SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("mine", "Mine")]

    def queryset(self, request, queryset):
        return queryset


class NoParameterFilter(SimpleListFilter):
    title = "owner"

    def lookups(self, request, model_admin):
        return []


class CustomerOptions(ModelAdmin):
    """Methods the options under test may name."""

    def qq_link(self, obj):
        return obj.qq

    def mark_enrolled(self, request, queryset):
        """Stand-in bulk action."""


def admin_with(**options) -> type[ModelAdmin]:
    return type("Bad", (CustomerOptions,), options)


def check(admin_class, model=Customer):
    return check_model_admin(admin_class(model, AdminSite()))


def assert_one_error(admin_class, error_id, message, model=Customer):
    errors = check(admin_class, model)
    assert [(error.id, error.msg) for error in errors] == [(error_id, message)]
    assert errors[0].obj is admin_class


def not_a(what, option, value):
    return (
        f"The value of '{option}' refers to '{value}', which is not {what} of "
        "'crm.Customer'."
    )


# ---------------------------------------------------------- list_display


@pytest.mark.parametrize(
    ("list_display", "message"),
    [
        pytest.param(
            ("name", "nope"),
            not_a("a field, a method or an attribute", "list_display[1]", "nope"),
            id="unknown-name",
        ),
        pytest.param(
            ("name", "consultant__password__nope"),
            not_a(
                "a field, a method or an attribute",
                "list_display[1]",
                "consultant__password__nope",
            ),
            id="path-past-a-plain-field",
        ),
        pytest.param(
            ("name", 3),
            not_a("a name of a field or method", "list_display[1]", 3),
            id="not-a-name",
        ),
    ],
)
def test_wrong_list_display_entry_is_reported(list_display, message):
    Bad = admin_with(list_display=list_display)
    assert_one_error(Bad, "kingadmin.E001", message)


def test_list_display_of_fields_paths_and_methods_passes():
    Good = admin_with(
        list_display=("__str__", "name", "consult_course__name", "qq_link", "tags"),
    )
    assert check(Good) == []


# ----------------------------------------------------------- list_filter


@pytest.mark.parametrize(
    ("list_filter", "message"),
    [
        pytest.param(
            ("source", "nope"),
            not_a("a field", "list_filter[1]", "nope"),
            id="unknown-field",
        ),
        pytest.param(
            ("notes",),
            "The value of 'list_filter[0]' refers to 'notes', which has no choices, "
            "relation, boolean or date to filter by; use a SimpleListFilter.",
            id="plain-text-field",
        ),
        pytest.param(
            (NoParameterFilter,),
            "The value of 'list_filter[0]' has no 'parameter_name'.",
            id="simple-filter-without-parameter-name",
        ),
        pytest.param(
            ("source", DateFieldListFilter),
            "The value of 'list_filter[1]' must be a SimpleListFilter subclass, a "
            "field name or (field, filter class).",
            id="field-filter-class-without-field",
        ),
    ],
)
def test_wrong_list_filter_entry_is_reported(list_filter, message):
    Bad = admin_with(list_filter=list_filter)
    assert_one_error(Bad, "kingadmin.E002", message)


def test_list_filter_of_filterable_fields_and_simple_filter_passes():
    Good = admin_with(
        list_filter=(
            "source",
            "consult_course",
            "tags",
            "created_at",
            "consultant__is_active",
            ByOwnerFilter,
        ),
    )
    assert check(Good) == []


# ---------------------------------------------- search_fields, ordering


def test_unknown_search_field_is_reported():
    Bad = admin_with(search_fields=("name", "nope"))
    message = not_a("a field", "search_fields[1]", "nope")
    assert_one_error(Bad, "kingadmin.E003", message)


def test_search_fields_with_prefixes_and_related_paths_pass():
    Good = admin_with(search_fields=("name", "^qq", "=phone", "consultant__username"))
    assert check(Good) == []


def test_unknown_ordering_field_is_reported():
    Bad = admin_with(ordering=("name", "-nope"))
    assert_one_error(Bad, "kingadmin.E004", not_a("a field", "ordering[1]", "-nope"))


def test_ordering_by_fields_paths_pk_and_random_passes():
    Good = admin_with(ordering=("-created_at", "consultant__username", "-pk", "?"))
    assert check(Good) == []


# ------------------------------------------- readonly_fields, filter_horizontal


def test_unknown_readonly_field_is_reported():
    Bad = admin_with(readonly_fields=("created_at", "nope"))
    message = not_a("a field, a method or an attribute", "readonly_fields[1]", "nope")
    assert_one_error(Bad, "kingadmin.E005", message)


def test_readonly_fields_of_fields_and_methods_pass():
    Good = admin_with(readonly_fields=("created_at", "qq_link", "get_source_display"))
    assert check(Good) == []


def test_unknown_filter_horizontal_field_is_reported():
    Bad = admin_with(filter_horizontal=("nope",))
    message = not_a("a field", "filter_horizontal[0]", "nope")
    assert_one_error(Bad, "kingadmin.E006", message)


def test_filter_horizontal_on_a_field_that_is_not_many_to_many_is_reported():
    Bad = admin_with(filter_horizontal=("tags", "name"))
    assert_one_error(
        Bad,
        "kingadmin.E006",
        "The value of 'filter_horizontal[1]' must be a many-to-many field; 'name' "
        "of 'crm.Customer' is not.",
    )


def test_filter_horizontal_on_many_to_many_fields_passes():
    assert check(admin_with(filter_horizontal=("tags",))) == []
    assert check(admin_with(filter_horizontal=("teachers",)), ClassList) == []


# ----------------------------------------------------------------- actions


@pytest.mark.parametrize("name", ["nope", "list_per_page"])
def test_action_that_is_not_a_method_of_the_admin_is_reported(name):
    Bad = admin_with(actions=("delete_selected", name))
    assert_one_error(
        Bad,
        "kingadmin.E007",
        f"The value of 'actions[1]' refers to '{name}', which is not a method of "
        "'Bad'.",
    )


def test_delete_selected_and_admin_methods_are_valid_actions():
    assert check(admin_with(actions=("delete_selected", "mark_enrolled"))) == []
    assert check(admin_with(actions=None)) == []


@pytest.mark.parametrize(
    ("option", "error_id"),
    [("actions", "kingadmin.E007"), ("readonly_fields", "kingadmin.E005")],
)
def test_function_instead_of_a_name_is_reported_not_a_crash(option, error_id):
    def make_vip(modeladmin, request, queryset):
        """A Django-admin style action function."""

    Bad = admin_with(**{option: (make_vip,)})
    assert [error.id for error in check(Bad)] == [error_id]


# ----------------------------------------------------------- list_editable


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"list_display": ("name", "qq"), "list_editable": ("phone",)},
            "The value of 'list_editable[0]' refers to 'phone', which is not in "
            "'list_display'.",
            id="not-in-list-display",
        ),
        pytest.param(
            {"list_display": ("name", "qq"), "list_editable": ("name",)},
            "The value of 'list_editable[0]' refers to 'name', which is the link "
            "to the change page and cannot be edited in the list.",
            id="first-column",
        ),
        pytest.param(
            {"list_display": ("name", "qq_link"), "list_editable": ("qq_link",)},
            not_a("a field", "list_editable[0]", "qq_link"),
            id="method",
        ),
    ],
)
def test_wrong_list_editable_entry_is_reported(options, message):
    Bad = admin_with(**options)
    assert_one_error(Bad, "kingadmin.E008", message)


def test_list_editable_field_that_is_not_editable_is_reported():
    Bad = admin_with(list_display=("name", "created_at"), list_editable=("created_at",))
    assert_one_error(
        Bad,
        "kingadmin.E008",
        "The value of 'list_editable[0]' refers to 'created_at', which is not "
        "editable.",
        model=ContractTemplate,
    )


def test_list_editable_columns_after_the_link_pass():
    Good = admin_with(
        list_display=("name", "qq", "phone"), list_editable=("qq", "phone")
    )
    assert check(Good) == []


def test_first_column_may_be_editable_when_the_list_has_no_links():
    Good = admin_with(
        list_display=("name", "qq"), list_display_links=None, list_editable=("name",)
    )
    assert check(Good) == []


def test_first_column_may_be_editable_when_another_column_is_the_link():
    Good = admin_with(
        list_display=("name", "qq", "phone"),
        list_display_links=("qq",),
        list_editable=("name",),
    )
    assert check(Good) == []


def test_editable_column_that_is_the_link_is_reported():
    Bad = admin_with(
        list_display=("name", "qq", "phone"),
        list_display_links=("qq",),
        list_editable=("qq",),
    )
    assert [error.id for error in check(Bad)] == ["kingadmin.E008"]


# ------------------------------------------------- fields, exclude, fieldsets


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"fields": ("name", "nope")},
            not_a("a field", "fields[1]", "nope"),
            id="fields",
        ),
        pytest.param(
            {"exclude": ("nope",)},
            not_a("a field", "exclude[0]", "nope"),
            id="exclude",
        ),
        pytest.param(
            {
                "fieldsets": (
                    (None, {"fields": ("name",)}),
                    ("Contact", {"fields": ("qq", "nope")}),
                )
            },
            not_a("a field", "fieldsets[1]", "nope"),
            id="fieldsets",
        ),
    ],
)
def test_unknown_form_field_is_reported(options, message):
    Bad = admin_with(**options)
    assert_one_error(Bad, "kingadmin.E009", message)


def test_form_fields_may_name_fields_and_read_only_methods():
    Good = admin_with(
        fieldsets=((None, {"fields": ("name", "qq", "qq_link")}),),
        readonly_fields=("qq_link",),
        exclude=("user",),
    )
    assert check(Good) == []


# ------------------------------------------ list_per_page, list_select_related


@pytest.mark.parametrize("value", [0, -5, "25", None])
def test_list_per_page_that_is_not_a_positive_integer_is_reported(value):
    Bad = admin_with(list_per_page=value)
    assert_one_error(
        Bad,
        "kingadmin.E010",
        "The value of 'list_per_page' must be a positive integer.",
    )


@pytest.mark.parametrize("value", ["consultant", None, {"consultant"}])
def test_list_select_related_of_the_wrong_type_is_reported(value):
    Bad = admin_with(list_select_related=value)
    assert_one_error(
        Bad,
        "kingadmin.E011",
        "The value of 'list_select_related' must be a boolean, a tuple or a list.",
    )


@pytest.mark.parametrize("value", [True, False, (), ("consultant",), ["consultant"]])
def test_list_select_related_boolean_tuple_or_list_passes(value):
    assert check(admin_with(list_select_related=value)) == []


# ------------------------------------------------------ autocomplete_fields


def searchable_site(*models) -> AdminSite:
    """Return a site serving ``models`` with the project's admins (search_fields)."""
    searchable = AdminSite()
    for model in models:
        searchable._registry[model] = site.get_model_admin(model)
    return searchable


def check_on(admin_class, admin_site, model=Customer):
    return check_model_admin(admin_class(model, admin_site))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param(
            ("nope",),
            not_a("a field", "autocomplete_fields[0]", "nope"),
            id="unknown",
        ),
        pytest.param(
            ("consultant", "name"),
            "The value of 'autocomplete_fields[1]' must be a foreign key or a "
            "many-to-many field; 'name' of 'crm.Customer' is not.",
            id="not-a-relation",
        ),
        pytest.param(
            ("followups",),
            "The value of 'autocomplete_fields[0]' must be a foreign key or a "
            "many-to-many field; 'followups' of 'crm.Customer' is not.",
            id="reverse-relation",
        ),
        pytest.param(
            ("consultant__username",),
            not_a("a field", "autocomplete_fields[0]", "consultant__username"),
            id="a-path",
        ),
        pytest.param(
            (len,),
            "The value of 'autocomplete_fields[0]' must be a name (a string), not "
            "<built-in function len>.",
            id="not-a-name",
        ),
    ],
)
def test_autocomplete_field_that_is_not_a_relation_is_reported(fields, message):
    Bad = admin_with(autocomplete_fields=fields)
    errors = check_on(Bad, searchable_site(User, Tag))
    assert [(error.id, error.msg) for error in errors] == [("kingadmin.E012", message)]
    assert errors[0].obj is Bad


def test_autocomplete_fields_that_is_not_a_tuple_is_reported():
    Bad = admin_with(autocomplete_fields="consultant")
    assert [(e.id, e.msg) for e in check_on(Bad, searchable_site(User))] == [
        ("kingadmin.E012", "The value of 'autocomplete_fields' must be a tuple.")
    ]


def test_autocomplete_on_a_model_that_is_not_registered_is_reported():
    Bad = admin_with(autocomplete_fields=("consultant", "tags"))
    errors = check_on(Bad, searchable_site(Tag))
    assert [(error.id, error.msg) for error in errors] == [
        (
            "kingadmin.E013",
            "The value of 'autocomplete_fields[0]' refers to 'consultant', whose "
            "model 'accounts.User' is not registered with kingadmin; the "
            "autocomplete searches with its admin's search_fields.",
        )
    ]


def test_autocomplete_on_a_model_whose_admin_cannot_search_is_reported():
    plain = AdminSite()
    plain._registry[User] = ModelAdmin(User, plain)
    Bad = admin_with(autocomplete_fields=("consultant",))
    errors = check_on(Bad, plain)
    assert [(error.id, error.msg) for error in errors] == [
        (
            "kingadmin.E013",
            "The value of 'autocomplete_fields[0]' refers to 'consultant', but the "
            "admin of 'accounts.User' (ModelAdmin) has no search_fields to search "
            "it with.",
        )
    ]
    assert errors[0].obj is Bad


def test_autocomplete_on_searchable_foreign_keys_and_many_to_many_passes():
    Good = admin_with(autocomplete_fields=("consultant", "tags", "consult_course"))
    assert check_on(Good, searchable_site(User, Tag, Course)) == []
    Classes = admin_with(autocomplete_fields=("teachers", "branch"))
    assert check_on(Classes, searchable_site(User, Branch), ClassList) == []


# --------------------------------------------------- the project's own config


def test_project_configuration_passes_the_system_checks():
    assert check_kingadmin() == []
    call_command("check")


# ------------------------------------------------------------------- rules


@pytest.fixture
def add_rule():
    """Register rules for one test; unregister them afterwards."""
    added = []

    def add(codename, routes, hook=None) -> PermissionRule:
        rule = PermissionRule("crm.customer", codename, codename, routes, hook)
        registry.register(rule)
        added.append(rule.perm)
        return rule

    yield add
    for perm in added:
        registry.unregister(perm)


def rule_errors(rule):
    return [(error.id, error.msg) for error in check_rules() if error.obj == rule.perm]


@pytest.mark.parametrize(
    "url_name", ["crm:no_such_page", "nosuchapp:customer_list", "no_such_page"]
)
def test_rule_naming_a_url_that_does_not_exist_is_reported(add_rule, url_name):
    rule = add_rule("checks_test_missing_url", (Route(url_name),))

    assert rule_errors(rule) == [
        (
            "kingadmin.E020",
            f"The permission rule 'crm.checks_test_missing_url' refers to the URL "
            f"name '{url_name}', which does not exist.",
        )
    ]


def test_rule_with_a_hook_that_is_not_callable_is_reported(add_rule):
    rule = add_rule(
        "checks_test_string_hook",
        (Route("kingadmin:changelist", {"GET"}, CUSTOMER),),
        hook="crm.permissions.own_customers",
    )

    assert rule_errors(rule) == [
        (
            "kingadmin.E021",
            "The hook of the permission rule 'crm.checks_test_string_hook' is not "
            "callable.",
        )
    ]


def test_rule_requiring_a_query_key_that_is_not_a_list_filter_is_reported(add_rule):
    rule = add_rule(
        "checks_test_unfiltered_query",
        (
            Route(
                "kingadmin:changelist",
                {"GET"},
                CUSTOMER,
                {"source": "qq_group", "colour": "red"},
            ),
        ),
    )

    assert rule_errors(rule) == [
        (
            "kingadmin.E022",
            "The permission rule 'crm.checks_test_unfiltered_query' requires the "
            "query parameter 'colour', which is not a list filter of "
            "'crm.Customer', so it would not narrow the list.",
        )
    ]


def test_rule_on_list_filters_and_real_urls_passes(add_rule):
    rule = add_rule(
        "checks_test_good_rule",
        (
            Route("teacher:class_list"),
            Route(
                "kingadmin:changelist",
                {"GET"},
                CUSTOMER,
                {"status": "enrolled", "created_at__since": "2026-01-01"},
            ),
        ),
        hook=lambda request, queryset: queryset,
    )

    assert rule_errors(rule) == []


def test_check_command_fails_on_a_broken_rule(add_rule):
    add_rule("checks_test_broken_for_command", (Route("crm:no_such_page"),))

    with pytest.raises(SystemCheckError, match=r"kingadmin\.E020"):
        call_command("check")
