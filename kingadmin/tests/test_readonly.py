"""ReadOnlyModelAdmin: rows are listed and opened, never added, saved or deleted."""

from django.test import TestCase

from kingadmin.tests.factories import (
    make_author,
    make_book,
    make_review,
    make_superuser,
)
from kingadmin.tests.toy.models import Review

REVIEWS = "/backoffice/toy/review/"


class ReadOnlyModelAdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.review = make_review(make_book("Wild Grass", make_author("Lu Xun")), "Ba")

    def setUp(self):
        self.client.force_login(make_superuser())

    def test_the_list_and_the_row_show_with_no_way_to_change_them(self):
        listed = self.client.get(REVIEWS)
        page = self.client.get(f"{REVIEWS}{self.review.pk}/change/")

        self.assertContains(listed, "Ba")
        self.assertFalse(listed.context["has_add_permission"])
        self.assertEqual(listed.context["actions"], [])
        self.assertEqual(page.status_code, 200)
        # Every field shows as text; none is an input.
        form = page.context["form"]
        self.assertEqual(set(form.fields), set(form.readonly_names))
        self.assertFalse(page.context["has_delete_permission"])

    def test_adding_saving_and_deleting_are_refused_even_to_a_superuser(self):
        change = f"{REVIEWS}{self.review.pk}/change/"
        delete = f"{REVIEWS}{self.review.pk}/delete/"

        self.assertEqual(self.client.get(f"{REVIEWS}add/").status_code, 403)
        self.assertEqual(self.client.post(f"{REVIEWS}add/", {}).status_code, 403)
        self.assertEqual(self.client.post(change, {"rating": 1}).status_code, 403)
        self.assertEqual(self.client.get(delete).status_code, 403)
        self.assertEqual(self.client.post(delete, {"post": "yes"}).status_code, 403)
        self.review.refresh_from_db()
        self.assertEqual(self.review.rating, 4)
        self.assertEqual(Review.objects.count(), 1)
