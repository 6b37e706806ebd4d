"""Two sites, "kingadmin" at /admin/ and "backoffice" at /backoffice/.

Each site names its routes after itself (``backoffice:changelist``) while
the permission (``toy.view_book``) is the same on both; the templates'
``{% url 'kingadmin:...' %}`` reverse to the site serving the page.
"""

from django.test import TestCase
from django.urls import reverse

import kingadmin
from kingadmin.permissions import registry
from kingadmin.tests.factories import (
    make_author,
    make_book,
    make_superuser,
    make_user,
)
from kingadmin.tests.toy.kingadmin import BackofficeBookAdmin, BookAdmin, backoffice
from kingadmin.tests.toy.models import Book

BOOK = {"app_label": "toy", "model_name": "book"}


class BackofficeTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lu = make_author("Lu Xun", email="lu@example.com")
        cls.book = make_book("Call to Arms", cls.lu)
        cls.other = make_book("Family", make_author("Ba Jin"))

    def login(self, *perms, **extra):
        user = make_user(*perms, **extra)
        self.client.force_login(user)
        return user


class BackofficePermissionTests(BackofficeTestCase):
    def test_holder_of_view_book_lists_books_on_the_backoffice(self):
        self.login("toy.view_book")

        response = self.client.get("/backoffice/toy/book/")

        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            [row.obj for row in response.context["rows"]], [self.book, self.other]
        )
        self.assertEqual(
            [str(c.header) for c in response.context["cl"].columns],
            ["Title", "Author"],
        )

    def test_user_without_view_book_gets_403_on_the_backoffice(self):
        self.login("toy.view_author")

        self.assertEqual(self.client.get("/backoffice/toy/book/").status_code, 403)

    def test_anonymous_user_is_sent_to_login_from_the_backoffice(self):
        response = self.client.get("/backoffice/toy/book/")

        self.assertRedirects(
            response,
            "/accounts/login/?next=/backoffice/toy/book/",
            fetch_redirect_response=False,
        )

    def test_the_permission_is_shared_and_each_site_has_its_routes(self):
        user = make_user("toy.view_book")
        routes = {route.url_name for route in registry.get("toy.view_book").routes}

        self.assertEqual(backoffice.route("changelist"), "backoffice:changelist")
        self.assertIn("backoffice:changelist", routes)
        self.assertIn("kingadmin:changelist", routes)
        for name in ("kingadmin:changelist", "backoffice:changelist"):
            with self.subTest(name=name):
                self.assertTrue(registry.decide(user, url_name=name, url_kwargs=BOOK))

    def test_a_rule_routed_on_the_default_site_does_not_open_the_backoffice(self):
        self.login("toy.view_own_books", email="lu@example.com")

        default = self.client.get("/admin/toy/book/")
        other = self.client.get("/backoffice/toy/book/")

        self.assertEqual([row.obj for row in default.context["rows"]], [self.book])
        self.assertEqual(other.status_code, 403)

    def test_change_rights_differ_by_permission_not_by_site(self):
        self.login("toy.view_book")

        for prefix in ("/admin", "/backoffice"):
            with self.subTest(site=prefix):
                url = f"{prefix}/toy/book/{self.book.pk}/change/"
                self.assertEqual(self.client.get(url).status_code, 200)
                self.assertEqual(self.client.post(url, {"title": "X"}).status_code, 403)

    def test_a_model_of_the_default_site_only_is_not_on_the_backoffice(self):
        self.login("toy.view_tag")
        self.assertEqual(self.client.get("/admin/toy/tag/").status_code, 200)
        self.assertEqual(self.client.get("/backoffice/toy/tag/").status_code, 404)

        self.client.force_login(make_superuser())
        self.assertEqual(self.client.get("/backoffice/toy/tag/").status_code, 404)


class BackofficeRegistrationTests(BackofficeTestCase):
    def test_unregistering_from_the_backoffice_keeps_the_default_site(self):
        backoffice.unregister(Book)
        self.addCleanup(backoffice.register, Book, BackofficeBookAdmin)
        self.login("toy.view_book")

        self.assertEqual(self.client.get("/backoffice/toy/book/").status_code, 403)
        self.assertEqual(self.client.get("/admin/toy/book/").status_code, 200)
        self.assertTrue(kingadmin.site.is_registered(Book))

    def test_unregistering_from_the_default_site_keeps_the_backoffice(self):
        kingadmin.site.unregister(Book)
        self.addCleanup(kingadmin.site.register, Book, BookAdmin)
        self.login("toy.view_book")

        self.assertEqual(self.client.get("/admin/toy/book/").status_code, 403)
        self.assertEqual(self.client.get("/backoffice/toy/book/").status_code, 200)


class BackofficeUrlTests(BackofficeTestCase):
    def test_url_names_of_the_backoffice_are_in_its_namespace(self):
        self.assertEqual(
            reverse("backoffice:changelist", kwargs=BOOK), "/backoffice/toy/book/"
        )
        self.assertEqual(
            reverse("kingadmin:changelist", kwargs=BOOK), "/admin/toy/book/"
        )
        self.assertEqual(
            reverse("kingadmin:changelist", kwargs=BOOK, current_app="backoffice"),
            "/backoffice/toy/book/",
        )

    def test_a_backoffice_view_runs_as_the_backoffice(self):
        self.login("toy.view_book")

        response = self.client.get("/backoffice/toy/book/")

        self.assertEqual(response.resolver_match.view_name, "backoffice:changelist")
        self.assertEqual(response.wsgi_request.current_app, "backoffice")
        self.assertIs(response.context["model_admin"].admin_site, backoffice)

    def test_links_of_a_backoffice_page_stay_on_the_backoffice(self):
        self.login("toy.view_book", "toy.add_book")

        response = self.client.get("/backoffice/toy/book/")

        self.assertContains(response, 'href="/backoffice/toy/book/add/"')
        self.assertContains(
            response, f'href="/backoffice/toy/book/{self.book.pk}/change/"'
        )
        self.assertContains(response, 'href="/backoffice/"')
        self.assertNotContains(response, 'href="/admin/')

    def test_links_of_a_default_site_page_stay_on_the_default_site(self):
        self.login("toy.view_book", "toy.add_book")

        response = self.client.get("/admin/toy/book/")

        self.assertContains(response, 'href="/admin/toy/book/add/"')
        self.assertContains(response, f'href="/admin/toy/book/{self.book.pk}/change/"')
        self.assertNotContains(response, 'href="/backoffice/')

    def test_saving_on_the_backoffice_returns_to_the_backoffice_list(self):
        self.client.force_login(make_superuser())

        response = self.client.post(
            f"/backoffice/toy/book/{self.book.pk}/change/",
            {
                "title": "Call to Arms (new edition)",
                "author": self.lu.pk,
                "isbn": self.book.isbn,
                "price": "12.00",
                "published": "2020-01-01",
            },
        )

        self.assertRedirects(response, "/backoffice/toy/book/")
        self.book.refresh_from_db()
        self.assertEqual(self.book.title, "Call to Arms (new edition)")

    def test_deleting_on_the_backoffice_returns_to_the_backoffice_list(self):
        self.client.force_login(make_superuser())
        url = f"/backoffice/toy/book/{self.other.pk}/delete/"

        page = self.client.get(url)
        response = self.client.post(url)

        self.assertContains(
            page, f'href="/backoffice/toy/book/{self.other.pk}/change/"'
        )

        self.assertRedirects(response, "/backoffice/toy/book/")
        self.assertFalse(Book.objects.filter(pk=self.other.pk).exists())


class IndexTests(BackofficeTestCase):
    def model_names(self, response):
        return [
            m["name"] for app in response.context["app_list"] for m in app["models"]
        ]

    def test_each_sites_index_lists_its_own_models(self):
        self.client.force_login(make_superuser())

        default = self.client.get("/admin/")
        other = self.client.get("/backoffice/")

        self.assertEqual(
            self.model_names(default), ["Authors", "Books", "Reviews", "Tags"]
        )
        self.assertEqual(self.model_names(other), ["Authors", "Books", "Reviews"])
        self.assertContains(other, "Back office")

    def test_index_lists_only_what_the_user_may_view(self):
        self.login("toy.view_book")

        response = self.client.get("/backoffice/")

        self.assertEqual(self.model_names(response), ["Books"])
        self.assertEqual(
            response.context["app_list"][0]["models"][0]["url"], "/backoffice/toy/book/"
        )
        self.assertIsNone(response.context["app_list"][0]["models"][0]["add_url"])

    def test_index_offers_add_links_to_who_may_add(self):
        self.login("toy.view_book", "toy.add_book")

        response = self.client.get("/admin/")

        self.assertContains(response, 'href="/admin/toy/book/add/"')

    def test_index_is_403_to_who_may_view_nothing(self):
        self.login()

        self.assertEqual(self.client.get("/admin/").status_code, 403)
        self.assertEqual(self.client.get("/backoffice/").status_code, 403)

    def test_the_index_permission_alone_opens_an_empty_index(self):
        self.login("kingadmin.view_kingadmin_index")

        for url in ("/admin/", "/backoffice/"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "There is nothing here you may manage.")

    def test_index_refuses_a_post(self):
        self.login("toy.view_book")

        self.assertEqual(self.client.post("/admin/").status_code, 405)

    def test_anonymous_user_is_sent_to_login_from_the_index(self):
        response = self.client.get("/backoffice/")

        self.assertRedirects(
            response,
            "/accounts/login/?next=/backoffice/",
            fetch_redirect_response=False,
        )
