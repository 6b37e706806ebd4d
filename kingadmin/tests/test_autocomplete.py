"""The autocomplete endpoint: the JSON choices of a relation, scoped by the rules."""

from django.test import TestCase

from kingadmin.tests.factories import (
    make_author,
    make_superuser,
    make_tag,
    make_user,
)

URL = "/admin/toy/book/autocomplete/"


class AutocompleteTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lu = make_author("Lu Xun", email="lu@example.com")
        cls.ba = make_author("Ba Jin", email="ba@example.com")
        cls.lao = make_author("Lao She", email="lao@example.com")
        cls.classic = make_tag("classic")
        cls.novel = make_tag("novel")

    def setUp(self):
        self.client.force_login(make_user("toy.add_book", "toy.view_author"))

    def results(self, **params):
        response = self.client.get(URL, params)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()


class AutocompleteResultTests(AutocompleteTestCase):
    def test_results_are_the_related_admins_search_in_its_ordering(self):
        data = self.results(field="author", term="la")

        self.assertEqual(
            data,
            {"results": [{"id": str(self.lao.pk), "text": "Lao She"}], "more": False},
        )
        self.assertEqual(
            [r["text"] for r in self.results(field="author")["results"]],
            ["Ba Jin", "Lao She", "Lu Xun"],
        )

    def test_the_search_uses_the_related_admins_search_fields(self):
        by_email = self.results(field="author", term="ba@")
        not_inside = self.results(field="author", term="example")

        self.assertEqual([r["text"] for r in by_email["results"]], ["Ba Jin"])
        self.assertEqual(not_inside["results"], [])

    def test_a_many_to_many_field_is_searched_too(self):
        self.client.force_login(make_user("toy.change_book", "toy.view_tag"))

        data = self.results(field="tags", term="nov")

        self.assertEqual(data["results"], [{"id": str(self.novel.pk), "text": "novel"}])

    def test_at_most_twenty_results_and_whether_more_match(self):
        for number in range(25):
            make_author(f"Zhang {number:02}")

        data = self.results(field="author", term="zhang")

        self.assertEqual(len(data["results"]), 20)
        self.assertTrue(data["more"])
        self.assertEqual(data["results"][0]["text"], "Zhang 00")

    def test_a_term_of_junk_is_no_error(self):
        for term in ("%", "_", "x" * 5000, "' OR 1=1 --"):
            with self.subTest(term=term[:10]):
                self.assertEqual(self.results(field="author", term=term)["results"], [])
        # A NUL is dropped: what is left is an empty term, matching every row.
        self.assertEqual(len(self.results(field="author", term="\x00")["results"]), 3)


class AutocompleteScopeTests(AutocompleteTestCase):
    def test_choices_are_the_rows_the_user_may_view(self):
        self.client.force_login(make_user("toy.add_book"))

        self.assertEqual(self.results(field="author")["results"], [])

    def test_a_viewer_of_the_model_may_not_ask(self):
        self.client.force_login(make_user("toy.view_book", "toy.view_author"))

        self.assertEqual(self.client.get(URL, {"field": "author"}).status_code, 403)

    def test_who_may_change_may_ask(self):
        self.client.force_login(make_user("toy.change_book", "toy.view_author"))

        self.assertEqual(len(self.results(field="author")["results"]), 3)

    def test_an_anonymous_user_is_sent_to_login(self):
        self.client.logout()

        response = self.client.get(URL, {"field": "author"})

        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))

    def test_a_field_not_in_autocomplete_fields_is_404(self):
        for field in ("title", "isbn", "nope", ""):
            with self.subTest(field=field):
                self.assertEqual(
                    self.client.get(URL, {"field": field}).status_code, 404
                )

    def test_a_model_without_autocomplete_fields_is_404(self):
        self.client.force_login(make_superuser())

        reviews = self.client.get("/admin/toy/review/autocomplete/", {"field": "book"})
        backoffice = self.client.get(
            "/backoffice/toy/book/autocomplete/", {"field": "author"}
        )

        self.assertEqual((reviews.status_code, backoffice.status_code), (404, 404))

    def test_a_post_is_not_allowed(self):
        self.client.force_login(make_superuser())

        self.assertEqual(self.client.post(URL, {"field": "author"}).status_code, 405)
