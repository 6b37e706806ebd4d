"""The permission engine: how a request is decided and which rows it may see."""

from django.contrib.auth.models import AnonymousUser, Permission
from django.core.management import call_command
from django.test import RequestFactory, TestCase

from kingadmin.permissions import (
    PermissionRule,
    Route,
    RuleRegistry,
    registry,
    view_routes,
)
from kingadmin.tests.factories import (
    PASSWORD,
    make_author,
    make_book,
    make_review,
    make_superuser,
    make_user,
)
from kingadmin.tests.toy.models import Book, Review

BOOK = {"app_label": "toy", "model_name": "book"}
AUTHOR = {"app_label": "toy", "model_name": "author"}
REVIEW = {"app_label": "toy", "model_name": "review"}


def decide(user, url_name, method="GET", kwargs=None, query=None):
    return registry.decide(
        user, url_name=url_name, method=method, url_kwargs=kwargs, query=query
    )


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


class DecideTests(TestCase):
    def test_anonymous_user_is_denied(self):
        decision = decide(AnonymousUser(), "kingadmin:changelist", kwargs=BOOK)

        self.assertFalse(decision)

    def test_inactive_user_is_denied_although_holding_the_permission(self):
        user = make_user("toy.view_book", is_active=False)

        self.assertFalse(decide(user, "kingadmin:changelist", kwargs=BOOK))

    def test_superuser_is_allowed_every_request_with_every_row(self):
        root = make_superuser()

        decision = decide(root, "kingadmin:delete", "POST", {**BOOK, "object_id": 1})

        self.assertTrue(decision)
        self.assertTrue(decision.unrestricted)
        self.assertTrue(decide(root, "no-rule-mentions-this"))

    def test_user_holding_nothing_is_denied(self):
        user = make_user()

        self.assertFalse(decide(user, "kingadmin:changelist", kwargs=BOOK))

    def test_default_view_rule_reads_but_never_writes(self):
        user = make_user("toy.view_book")
        one = {**BOOK, "object_id": "7"}

        self.assertTrue(decide(user, "kingadmin:changelist", kwargs=BOOK))
        self.assertTrue(decide(user, "kingadmin:export", kwargs=BOOK))
        self.assertTrue(decide(user, "kingadmin:change", kwargs=one))
        self.assertTrue(decide(user, "kingadmin:history", kwargs=one))
        self.assertFalse(decide(user, "kingadmin:change", "POST", one))
        self.assertFalse(decide(user, "kingadmin:add", kwargs=BOOK))
        self.assertFalse(decide(user, "kingadmin:delete", kwargs=one))

    def test_head_is_decided_like_get_and_put_by_no_rule(self):
        user = make_user("toy.view_book")

        self.assertTrue(decide(user, "kingadmin:changelist", "HEAD", BOOK))
        self.assertFalse(decide(user, "kingadmin:changelist", "PUT", BOOK))

    def test_a_route_requires_its_url_arguments(self):
        user = make_user("toy.view_book")

        self.assertFalse(decide(user, "kingadmin:changelist", kwargs=AUTHOR))
        self.assertFalse(decide(user, "kingadmin:changelist"))

    def test_query_route_needs_its_value_exactly_once(self):
        user = make_user("toy.view_active_authors")

        def lists(query):
            return bool(
                decide(user, "kingadmin:changelist", kwargs=AUTHOR, query=query)
            )

        self.assertTrue(lists({"active": ["1"]}))
        self.assertTrue(lists({"active": ["1"], "q": ["Lu"]}))
        self.assertFalse(lists({}))
        self.assertFalse(lists({"active": ["0"]}))
        self.assertFalse(lists({"active": ["1", "1"]}))
        self.assertFalse(lists({"active": ["1", "0"]}))

    def test_the_most_specific_rule_held_decides(self):
        user = make_user("toy.view_author", "toy.view_active_authors")

        specific = decide(
            user, "kingadmin:changelist", kwargs=AUTHOR, query={"active": ["1"]}
        )
        plain = decide(user, "kingadmin:changelist", kwargs=AUTHOR)

        self.assertEqual(
            [rule.perm for rule in specific.rules], ["toy.view_active_authors"]
        )
        self.assertEqual([rule.perm for rule in plain.rules], ["toy.view_author"])

    def test_a_less_specific_rule_decides_when_the_specific_one_is_not_held(self):
        user = make_user("toy.view_author")

        decision = decide(
            user, "kingadmin:changelist", kwargs=AUTHOR, query={"active": ["1"]}
        )

        self.assertEqual([rule.perm for rule in decision.rules], ["toy.view_author"])

    def test_the_decision_of_a_request_is_stored_on_it_for_the_view(self):
        user = make_user("toy.view_book_report", email="lu@example.com")
        self.client.force_login(user)

        response = self.client.get("/report/")

        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            [rule.perm for rule in response.wsgi_request.access.rules],
            ["toy.view_book_report"],
        )


class RowScopeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lu = make_author("Lu Xun", email="lu@example.com")
        cls.ba = make_author("Ba Jin", email="ba@example.com")
        cls.lu_book = make_book("Call to Arms", cls.lu)
        cls.ba_book = make_book("Family", cls.ba)
        cls.lu_review = make_review(cls.lu_book, "Mao Dun")
        cls.ba_review = make_review(cls.ba_book, "Lao She")

    def scope(self, user, model, kwargs):
        decision = decide(user, "kingadmin:changelist", kwargs=kwargs)
        return set(decision.scope(request_of(user), model.objects.all()))

    def test_row_hook_narrows_the_rows_to_the_users_own(self):
        user = make_user("toy.view_own_books", email="lu@example.com")

        self.assertEqual(self.scope(user, Book, BOOK), {self.lu_book})

    def test_row_hook_uses_the_logged_in_user_not_the_request(self):
        user = make_user("toy.view_own_books")  # no e-mail address

        self.assertEqual(self.scope(user, Book, BOOK), set())

    def test_rules_of_equal_specificity_allow_the_union_of_their_rows(self):
        user = make_user("toy.view_own_books", "toy.view_book", email="lu@example.com")

        self.assertEqual(self.scope(user, Book, BOOK), {self.lu_book, self.ba_book})

    def test_reviews_inherit_the_scope_of_their_book(self):
        user = make_user(
            "toy.view_review", "toy.view_own_books", email="lu@example.com"
        )

        self.assertEqual(self.scope(user, Review, REVIEW), {self.lu_review})

    def test_reviews_of_no_book_without_a_view_rule_on_books(self):
        user = make_user("toy.view_review", email="lu@example.com")

        self.assertEqual(self.scope(user, Review, REVIEW), set())

    def test_reviews_of_every_book_when_every_book_is_visible(self):
        user = make_user("toy.view_review", "toy.view_book")

        self.assertEqual(
            self.scope(user, Review, REVIEW), {self.lu_review, self.ba_review}
        )

    def test_all_rows_hook_allows_every_review_whatever_the_books(self):
        user = make_user("toy.view_every_review")

        self.assertEqual(
            self.scope(user, Review, REVIEW), {self.lu_review, self.ba_review}
        )

    def test_visible_rows_are_those_of_the_models_list(self):
        user = make_user(
            "toy.view_review", "toy.view_own_books", email="ba@example.com"
        )
        request = request_of(user)

        self.assertEqual(list(registry.visible(request, Review)), [self.ba_review])
        self.assertEqual(list(registry.visible(request, Book)), [self.ba_book])

    def test_inherited_scope_holds_on_the_list_page(self):
        user = make_user(
            "toy.view_review", "toy.view_own_books", email="lu@example.com"
        )
        self.client.force_login(user)

        response = self.client.get("/admin/toy/review/")

        self.assertEqual(
            [row.obj for row in response.context["rows"]], [self.lu_review]
        )
        self.assertContains(response, "Mao Dun")
        self.assertNotContains(response, "Lao She")

    def test_foreign_row_of_an_inherited_scope_is_403(self):
        user = make_user(
            "toy.view_review", "toy.view_own_books", email="lu@example.com"
        )
        self.client.force_login(user)

        own = self.client.get(f"/admin/toy/review/{self.lu_review.pk}/change/")
        foreign = self.client.get(f"/admin/toy/review/{self.ba_review.pk}/change/")

        self.assertEqual((own.status_code, foreign.status_code), (200, 403))


class GuardedViewTests(TestCase):
    def test_anonymous_user_is_sent_to_the_login_page(self):
        response = self.client.get("/report/")

        self.assertRedirects(
            response, "/accounts/login/?next=/report/", fetch_redirect_response=False
        )

    def test_anonymous_user_is_sent_to_login_from_an_admin_list(self):
        response = self.client.get("/admin/toy/book/?q=x")

        self.assertRedirects(
            response,
            "/accounts/login/?next=/admin/toy/book/%3Fq%3Dx",
            fetch_redirect_response=False,
        )

    def test_logging_in_leads_back_to_the_refused_page(self):
        user = make_user("toy.view_book")

        page = self.client.get("/accounts/login/", {"next": "/admin/toy/book/"})
        response = self.client.post(
            "/accounts/login/",
            {
                "username": user.username,
                "password": PASSWORD,
                "next": "/admin/toy/book/",
            },
            follow=True,
        )

        self.assertContains(page, 'name="password"')
        self.assertRedirects(response, "/admin/toy/book/")
        self.assertEqual(response.context["user"], user)

    def test_user_without_the_rule_gets_403(self):
        self.client.force_login(make_user("toy.view_book"))

        self.assertEqual(self.client.get("/report/").status_code, 403)

    def test_hook_of_the_deciding_rule_scopes_the_views_rows(self):
        make_book("Call to Arms", make_author(email="lu@example.com"))
        make_book("Family", make_author(email="ba@example.com"))
        self.client.force_login(
            make_user("toy.view_book_report", email="lu@example.com")
        )

        response = self.client.get("/report/")

        self.assertEqual(response.content.decode(), "Call to Arms")

    def test_url_name_no_rule_mentions_is_refused_and_logged(self):
        root = make_superuser()
        self.client.force_login(root)

        with self.assertLogs("kingadmin.decorators", "ERROR") as logs:
            response = self.client.get("/orphan/")

        self.assertEqual(response.status_code, 403)
        self.assertIn("'orphan'", logs.output[0])

    def test_method_no_rule_allows_is_403(self):
        self.client.force_login(
            make_user("toy.view_book_report", email="a@example.com")
        )

        self.assertEqual(self.client.post("/report/").status_code, 403)


class RuleRegistryTests(TestCase):
    def rule(self, name="Can do a thing", routes=None, **extra):
        routes = (Route("x"),) if routes is None else routes
        return PermissionRule("toy.book", "do_thing", name, routes, **extra)

    def test_a_permission_declared_twice_differently_is_refused(self):
        own = RuleRegistry()
        own.register(self.rule())

        with self.assertRaisesMessage(ValueError, "'toy.do_thing' is declared twice"):
            own.register(self.rule("Can do another thing"))

    def test_the_same_declaration_twice_is_one_rule(self):
        own = RuleRegistry()
        own.register(self.rule())
        own.register(self.rule())

        self.assertEqual([rule.perm for rule in own], ["toy.do_thing"])

    def test_extend_merges_routes_and_retract_takes_them_back(self):
        own = RuleRegistry()
        first = self.rule(routes=(Route("a:index"),))
        second = self.rule(routes=(Route("b:index"),))

        own.extend(first)
        own.extend(second)
        merged = own.get("toy.do_thing").routes
        own.retract(second)

        self.assertEqual(merged, (Route("a:index"), Route("b:index")))
        self.assertEqual(own.get("toy.do_thing").routes, (Route("a:index"),))
        self.assertTrue(own.guards("a:index"))
        self.assertFalse(own.guards("b:index"))
        own.retract(first)
        self.assertNotIn("toy.do_thing", own)

    def test_inherit_scope_follows_foreign_keys_only(self):
        own = RuleRegistry()

        with self.assertRaisesMessage(ValueError, "must follow foreign keys only"):
            own.inherit_scope("toy.book", through="title")
        with self.assertRaisesMessage(ValueError, "is not a relation path"):
            own.inherit_scope("toy.book", through="publisher")

    def test_a_model_inherits_its_scope_from_one_parent(self):
        own = RuleRegistry()
        own.inherit_scope("toy.review", through="book")

        with self.assertRaisesMessage(ValueError, "inherits from one parent"):
            own.inherit_scope("toy.review", through="book__author")
        self.assertEqual(own.scope_parent(Review), ("book", Book))

    def test_view_routes_cover_list_export_change_and_history(self):
        names = [route.url_name for route in view_routes("toy", "book")]

        self.assertEqual(
            names,
            [
                "kingadmin:changelist",
                "kingadmin:export",
                "kingadmin:change",
                "kingadmin:history",
            ],
        )


class RulePermissionStorageTests(TestCase):
    def test_every_rule_is_stored_as_a_permission_of_its_model(self):
        for rule in registry:
            with self.subTest(rule=rule.perm):
                stored = Permission.objects.get(
                    content_type__app_label=rule.app_label, codename=rule.codename
                )
                self.assertEqual(stored.name, rule.name)

    def test_a_declared_rule_is_a_permission_users_can_hold(self):
        user = make_user("toy.view_own_books")

        self.assertTrue(user.has_perm("toy.view_own_books"))
        self.assertEqual(
            Permission.objects.get(codename="view_own_books").name,
            "Can view own books",
        )

    def test_migrating_again_renames_a_permission_and_keeps_its_grants(self):
        user = make_user("toy.view_own_books")
        Permission.objects.filter(codename="view_own_books").update(name="Old name")

        call_command("migrate", verbosity=0)

        stored = Permission.objects.get(codename="view_own_books")
        self.assertEqual(stored.name, "Can view own books")
        self.assertIn(stored, user.user_permissions.all())

    def test_a_deleted_rule_permission_is_created_again(self):
        Permission.objects.filter(codename="view_every_review").delete()

        call_command("migrate", verbosity=0)

        self.assertTrue(
            Permission.objects.filter(codename="view_every_review").exists()
        )
