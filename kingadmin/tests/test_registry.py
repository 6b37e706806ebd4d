"""The registry of a site: registering models, their admins and their rules."""

from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase, TestCase

import kingadmin
from kingadmin import AdminSite, AlreadyRegistered, ModelAdmin, NotRegistered
from kingadmin.permissions import Route, RuleRegistry, registry
from kingadmin.tests.factories import make_user
from kingadmin.tests.toy.kingadmin import AuthorAdmin, BookAdmin, backoffice
from kingadmin.tests.toy.models import Author, Book, Review, Tag

GROUP = {"app_label": "auth", "model_name": "group"}


class GroupAdmin(ModelAdmin):
    list_display = ("name",)
    actions = ("delete_selected", "rename")

    @kingadmin.action(description="Rename")
    def rename(self, request, queryset):
        """Stand-in bulk action."""


class FreshSiteMixin:
    def fresh_site(self, name="test", rules=None):
        """Return a site deciding by a registry of its own (the project's untouched).

        The site is emptied after the test: a site serving nothing holds no
        reference cycle, so it leaves ``all_sites`` (and the system checks)
        as soon as the test drops it.
        """
        site = AdminSite(name, rules=RuleRegistry() if rules is None else rules)
        self.addCleanup(lambda: site.is_registered(Group) and site.unregister(Group))
        return site


class RegisterTests(FreshSiteMixin, SimpleTestCase):
    def test_toy_models_are_registered_by_their_kingadmin_module(self):
        for model, admin_class in ((Author, AuthorAdmin), (Book, BookAdmin)):
            with self.subTest(model=model):
                self.assertIs(type(kingadmin.site.get_model_admin(model)), admin_class)
        self.assertTrue(kingadmin.site.is_registered(Tag))
        self.assertTrue(kingadmin.site.is_registered(Review))

    def test_a_model_registered_without_an_admin_class_gets_the_defaults(self):
        site = self.fresh_site()

        site.register(Group)

        admin = site.get_model_admin(Group)
        self.assertIs(type(admin), ModelAdmin)
        self.assertEqual((admin.model, admin.admin_site), (Group, site))
        self.assertEqual(admin.list_display, ("__str__",))
        self.assertEqual(admin.actions, ("delete_selected",))

    def test_registering_twice_names_the_model_and_the_existing_admin(self):
        site = self.fresh_site()
        site.register(Group, GroupAdmin)

        with self.assertRaises(AlreadyRegistered) as error:
            site.register(Group)

        self.assertEqual(
            str(error.exception),
            "The model auth.Group is already registered with kingadmin by "
            "kingadmin.tests.test_registry.GroupAdmin.",
        )
        self.assertIs(type(site.get_model_admin(Group)), GroupAdmin)

    def test_registering_a_toy_model_again_names_its_app_admin_class(self):
        with self.assertRaisesMessage(
            AlreadyRegistered,
            "The model toy.Book is already registered with kingadmin by "
            "kingadmin.tests.toy.kingadmin.BookAdmin.",
        ):
            kingadmin.site.register(Book)

    def test_already_registered_is_a_configuration_error(self):
        self.assertTrue(issubclass(AlreadyRegistered, ImproperlyConfigured))
        self.assertTrue(issubclass(NotRegistered, ImproperlyConfigured))

    def test_unregistering_a_model_not_registered_raises_not_registered(self):
        site = self.fresh_site()

        with self.assertRaisesMessage(
            NotRegistered, "The model auth.Group is not registered."
        ):
            site.unregister(Group)
        with self.assertRaises(NotRegistered):
            site.get_model_admin(Group)

    def test_an_unregistered_model_can_be_registered_again(self):
        site = self.fresh_site()
        site.register(Group, GroupAdmin)
        site.unregister(Group)
        self.assertFalse(site.is_registered(Group))

        site.register(Group)

        self.assertIs(type(site.get_model_admin(Group)), ModelAdmin)

    def test_an_abstract_model_cannot_be_registered(self):
        from django.contrib.auth.models import AbstractUser

        with self.assertRaisesMessage(ImproperlyConfigured, "is abstract"):
            self.fresh_site().register(AbstractUser)

    def test_the_register_decorator_registers_with_the_default_site(self):
        self.addCleanup(kingadmin.site.unregister, Group)

        @kingadmin.register(Group)
        class DecoratedAdmin(ModelAdmin):
            pass

        self.assertIs(type(kingadmin.site.get_model_admin(Group)), DecoratedAdmin)

    def test_a_site_names_its_routes_and_urls_after_itself(self):
        site = self.fresh_site("shop")

        _patterns, app_name, namespace = site.urls

        self.assertEqual(site.route("changelist"), "shop:changelist")
        self.assertEqual((app_name, namespace), ("kingadmin", "shop"))


class RegistryRulesTests(FreshSiteMixin, TestCase):
    def test_registering_adds_the_view_add_change_delete_rules(self):
        site = self.fresh_site()

        site.register(Group, GroupAdmin)

        rules = site.rules
        self.assertIn(
            Route("test:changelist", {"GET", "POST"}, GROUP),
            rules.get("auth.view_group").routes,
        )
        self.assertIn(
            Route("test:add", {"GET", "POST"}, GROUP),
            rules.get("auth.add_group").routes,
        )
        # Custom actions are a change; delete_selected is a delete.
        self.assertIn(
            Route("test:action", {"POST"}, {**GROUP, "action": "rename"}),
            rules.get("auth.change_group").routes,
        )
        self.assertIn(
            Route("test:action", {"POST"}, {**GROUP, "action": "delete_selected"}),
            rules.get("auth.delete_group").routes,
        )

    def test_holder_of_view_may_list_the_model_only_while_it_is_registered(self):
        site = self.fresh_site()
        viewer = make_user("auth.view_group")

        def may_list():
            return bool(
                site.rules.decide(viewer, url_name="test:changelist", url_kwargs=GROUP)
            )

        self.assertFalse(may_list())
        site.register(Group)
        self.assertTrue(may_list())
        site.unregister(Group)
        self.assertFalse(may_list())

    def test_unregistering_from_one_site_keeps_the_rules_of_another(self):
        rules = RuleRegistry()
        one, two = self.fresh_site("one", rules), self.fresh_site("two", rules)
        viewer = make_user("auth.view_group")
        one.register(Group)
        two.register(Group)

        two.unregister(Group)

        self.assertTrue(
            rules.decide(viewer, url_name="one:changelist", url_kwargs=GROUP)
        )
        self.assertFalse(
            rules.decide(viewer, url_name="two:changelist", url_kwargs=GROUP)
        )

    def test_a_site_with_its_own_rules_leaves_the_project_rules_alone(self):
        site = self.fresh_site("private")

        site.register(Group)

        self.assertIn("auth.view_group", site.rules)
        self.assertNotIn("auth.view_group", registry)
        self.assertFalse(registry.guards("private:changelist"))

    def test_refused_rules_leave_the_model_unregistered(self):
        rules = RuleRegistry()
        strict = self.fresh_site("strict", rules)
        rules.register(
            kingadmin.permissions.PermissionRule(
                "auth.group", "view_group", "Something else", (Route("x"),)
            )
        )

        with self.assertRaisesMessage(ValueError, "declared twice"):
            strict.register(Group)

        self.assertFalse(strict.is_registered(Group))

    def test_the_toy_sites_share_the_project_rules(self):
        self.assertIs(backoffice.rules, registry)
        routes = {route.url_name for route in registry.get("toy.view_book").routes}

        self.assertTrue(
            {"kingadmin:changelist", "backoffice:changelist"}.issubset(routes)
        )

    def test_an_action_declared_with_the_delete_permission_is_a_delete(self):
        class PurgingAdmin(ModelAdmin):
            actions = ("purge",)

            @kingadmin.action(description="Purge", permission="delete")
            def purge(self, request, queryset):
                """Stand-in destructive action."""

        site = self.fresh_site()
        site.register(Group, PurgingAdmin)

        purge = Route("test:action", {"POST"}, {**GROUP, "action": "purge"})
        self.assertIn(purge, site.rules.get("auth.delete_group").routes)
        self.assertNotIn(purge, site.rules.get("auth.change_group").routes)
