"""System checks: broken admin classes and rules are reported by ``manage.py check``.

The broken admins are registered for ``auth.Group`` (on no toy site), and the
checks are run for the apps concerned, as ``manage.py check <app>`` does.
"""

import gc

from django.apps import apps
from django.contrib.auth.models import Group
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import SimpleTestCase

import kingadmin
from kingadmin import AdminSite, ModelAdmin, SimpleListFilter
from kingadmin.permissions import PermissionRule, Route, RuleRegistry, registry

BOOK = {"app_label": "toy", "model_name": "book"}


def run(*app_labels):
    # Sites other tests dropped must not be checked: collect them first.
    gc.collect()
    configs = [apps.get_app_config(label) for label in app_labels]
    return checks.run_checks(app_configs=configs, tags=[checks.Tags.admin])


class NoParameter(SimpleListFilter):
    title = "nothing"

    def lookups(self, request, model_admin):
        return ()

    def queryset(self, request, queryset):
        return queryset


BROKEN = {
    "kingadmin.E001": {"list_display": ("name", "nope")},
    "kingadmin.E002": {"list_filter": ("colour",)},
    "kingadmin.E003": {"search_fields": ("name", "^nickname")},
    "kingadmin.E004": {"ordering": ("-size",)},
    "kingadmin.E005": {"readonly_fields": ("missing",)},
    "kingadmin.E006": {"filter_horizontal": ("name",)},
    "kingadmin.E007": {"actions": ("delete_selected", "promote")},
    "kingadmin.E008": {"list_display": ("name",), "list_editable": ("permissions",)},
    "kingadmin.E009": {"fields": ("name", "rank")},
    "kingadmin.E010": {"list_per_page": 0},
    "kingadmin.E011": {"list_select_related": "yes"},
    "kingadmin.E012": {"autocomplete_fields": ("name",)},
    # Permission is on no site: nothing to search it with.
    "kingadmin.E013": {"autocomplete_fields": ("permissions",)},
    "kingadmin.E014": {"list_only": ("name", "permissions__title")},
}


class ModelAdminCheckTests(SimpleTestCase):
    def register_broken(self, site, **options):
        admin_class = type("BrokenGroupAdmin", (ModelAdmin,), options)
        site.register(Group, admin_class)
        self.addCleanup(site.unregister, Group)
        return admin_class

    def test_the_toy_project_passes_its_checks(self):
        self.assertEqual(run("toy", "kingadmin"), [])

    def test_each_broken_option_is_reported_with_its_id(self):
        for error_id, options in BROKEN.items():
            with self.subTest(error_id):
                admin_class = type("BrokenGroupAdmin", (ModelAdmin,), options)
                kingadmin.site.register(Group, admin_class)
                try:
                    errors = run("auth")
                finally:
                    kingadmin.site.unregister(Group)

                self.assertEqual(
                    [(e.id, e.obj) for e in errors], [(error_id, admin_class)]
                )
                self.assertIsInstance(errors[0], checks.Error)

    def test_a_message_names_the_option_its_position_the_value_and_the_model(self):
        self.register_broken(kingadmin.site, list_display=("name", "nope"))

        [error] = run("auth")

        self.assertIn("'list_display[1]'", error.msg)
        self.assertIn("'nope'", error.msg)
        self.assertIn("'auth.Group'", error.msg)

    def test_a_simple_list_filter_without_parameter_name_is_reported(self):
        self.register_broken(kingadmin.site, list_filter=(NoParameter,))

        [error] = run("auth")

        self.assertEqual(error.id, "kingadmin.E002")
        self.assertIn("parameter_name", error.msg)

    def test_a_list_filter_on_a_field_with_nothing_to_filter_by_is_reported(self):
        self.register_broken(kingadmin.site, list_filter=("name",))

        [error] = run("auth")

        self.assertEqual(error.id, "kingadmin.E002")
        self.assertIn("SimpleListFilter", error.msg)

    def test_a_broken_admin_on_a_second_site_is_reported_too(self):
        site = AdminSite("elsewhere", rules=RuleRegistry())
        admin_class = self.register_broken(site, list_display=("nope",))

        errors = [e for e in run("auth") if e.id == "kingadmin.E001"]

        self.assertEqual([e.obj for e in errors], [admin_class])

    def test_a_correct_admin_is_not_reported(self):
        self.register_broken(
            kingadmin.site,
            list_display=("name",),
            search_fields=("name",),
            ordering=("name",),
            filter_horizontal=("permissions",),
        )

        self.assertEqual(run("auth"), [])

    def test_manage_py_check_fails_on_a_broken_admin(self):
        self.register_broken(kingadmin.site, ordering=("-size",))

        with self.assertRaisesMessage(SystemCheckError, "kingadmin.E004"):
            call_command("check", "auth", stdout=None)


class RuleCheckTests(SimpleTestCase):
    def register(self, *routes, hook=None):
        rule = PermissionRule("toy.book", "broken_rule", "Broken", routes, hook=hook)
        registry.register(rule)
        self.addCleanup(registry.unregister, rule.perm)
        return rule

    def test_a_route_to_a_url_name_that_does_not_exist_is_reported(self):
        self.register(Route("kingadmin:nowhere"), Route("book_report"))

        errors = run("toy")

        self.assertEqual(
            [(e.id, e.obj) for e in errors], [("kingadmin.E020", "toy.broken_rule")]
        )
        self.assertIn("'kingadmin:nowhere'", errors[0].msg)

    def test_a_hook_that_is_not_callable_is_reported(self):
        self.register(Route("book_report"), hook="own books")

        errors = run("toy")

        self.assertEqual(
            [(e.id, e.obj) for e in errors], [("kingadmin.E021", "toy.broken_rule")]
        )

    def test_a_query_no_list_filter_reads_is_reported(self):
        self.register(Route("kingadmin:changelist", {"GET"}, BOOK, {"colour": "red"}))

        errors = run("toy")

        self.assertEqual([e.id for e in errors], ["kingadmin.E022"])
        self.assertIn("'colour'", errors[0].msg)

    def test_a_query_a_list_filter_reads_is_fine(self):
        self.register(
            Route("kingadmin:changelist", {"GET"}, BOOK, {"price_band": "cheap"}),
            Route("backoffice:changelist", {"GET"}, BOOK),
        )

        self.assertEqual(run("toy"), [])
