"""What a list page changes: list_editable saves and bulk actions."""

from decimal import Decimal

from django.test import TestCase

from kingadmin.models import ChangeLog
from kingadmin.tests.factories import (
    log_of,
    make_author,
    make_book,
    make_review,
    make_superuser,
    make_user,
    messages_of,
)
from kingadmin.tests.toy.models import Author, Book, Review

BOOKS = "/admin/toy/book/"
AUTHORS = "/admin/toy/author/"


class ListPageTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lu = make_author("Lu Xun", email="lu@example.com")
        cls.call = make_book("Call to Arms", cls.lu, price=Decimal("15.00"))
        cls.grass = make_book("Wild Grass", cls.lu, price=Decimal("25.00"))
        cls.review = make_review(cls.call, "Mao Dun")

    def login(self, *perms):
        user = make_superuser() if perms == ("root",) else make_user(*perms)
        self.client.force_login(user)
        return user

    def editable_post(self, changes):
        """Return the list_editable post of the first page with ``changes``."""
        formset = self.client.get(BOOKS).context["formset"]
        data = {
            key: str(value) for key, value in formset.management_form.initial.items()
        }
        data = {f"form-{key}": value for key, value in data.items()}
        for i, form in enumerate(formset.forms):
            data[f"form-{i}-id"] = str(form.instance.pk)
            data[f"form-{i}-price"] = changes.get(form.instance.pk, form.instance.price)
        data["_save"] = "Save"
        return data


class ListEditableTests(ListPageTestCase):
    def test_a_user_who_may_change_sees_inputs_and_a_save_button(self):
        self.login("toy.view_book", "toy.change_book")

        response = self.client.get(BOOKS)

        self.assertContains(response, f'name="form-0-price" value="{self.call.price}"')
        self.assertContains(response, 'aria-label="Price: Call to Arms"')
        self.assertContains(response, "Save changes")

    def test_saving_changes_the_row_and_records_the_change(self):
        user = self.login("toy.view_book", "toy.change_book")

        response = self.client.post(
            BOOKS, self.editable_post({self.call.pk: "16.00"}), follow=True
        )

        self.call.refresh_from_db()
        self.grass.refresh_from_db()
        self.assertEqual(self.call.price, Decimal("16.00"))
        self.assertEqual(self.grass.price, Decimal("25.00"))
        self.assertIn("1 book was changed.", messages_of(response))
        entry = log_of(self.call).get()
        self.assertEqual(entry.user, user)
        self.assertEqual(entry.action, ChangeLog.Action.CHANGE)
        self.assertEqual(
            entry.changes,
            [{"field": "price", "label": "price", "old": "15.00", "new": "16.00"}],
        )
        self.assertFalse(log_of(self.grass).exists())

    def test_an_invalid_value_saves_nothing_and_says_why(self):
        self.login("root")

        response = self.client.post(
            BOOKS,
            self.editable_post({self.call.pk: "cheap", self.grass.pk: "1.00"}),
            follow=True,
        )

        self.call.refresh_from_db()
        self.grass.refresh_from_db()
        self.assertEqual(
            (self.call.price, self.grass.price), (Decimal("15.00"), Decimal("25.00"))
        )
        self.assertIn("Please correct the errors below.", messages_of(response))
        self.assertTrue(any("Enter a number." in m for m in messages_of(response)))

    def test_a_viewer_gets_no_inputs_and_may_not_save(self):
        self.login("toy.view_book")

        response = self.client.get(BOOKS)
        self.assertIsNone(response.context["formset"])
        self.assertNotContains(response, 'name="form-0-price"')

        self.login("root")
        data = self.editable_post({self.call.pk: "1.00"})
        self.login("toy.view_book")
        self.assertEqual(self.client.post(BOOKS, data).status_code, 403)
        self.call.refresh_from_db()
        self.assertEqual(self.call.price, Decimal("15.00"))

    def test_a_posted_id_of_no_row_changes_nothing(self):
        self.login("root")
        data = self.editable_post({self.call.pk: "1.00"})
        data["form-0-id"] = "999999"
        data["form-1-id"] = "99999999999999999999999"

        response = self.client.post(BOOKS, data)

        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            sorted(Book.objects.values_list("price", flat=True)),
            [Decimal("15.00"), Decimal("25.00")],
        )

    def test_a_list_edit_post_never_creates_rows(self):
        self.login("root")
        data = self.editable_post({})
        data.update({"form-TOTAL_FORMS": "3", "form-2-id": "", "form-2-price": "9.99"})

        self.client.post(BOOKS, data)

        self.assertEqual(Book.objects.count(), 2)


class ActionTests(ListPageTestCase):
    def run_action(self, name, *pks, url=BOOKS, **extra):
        data = {"action": name, "_selected_action": [str(pk) for pk in pks], **extra}
        return self.client.post(url, data, follow=True)

    def test_the_action_menu_offers_the_actions_the_user_may_run(self):
        def offered(*perms):
            self.login(*perms)
            actions = self.client.get(BOOKS).context["actions"]
            return [(action.name, action.description) for action in actions]

        self.assertEqual(offered("toy.view_book"), [])
        self.assertEqual(
            offered("toy.view_book", "toy.change_book"),
            [("discount", "Lower the price by 10%")],
        )
        self.assertEqual(
            offered("root"),
            [
                ("delete_selected", "Delete selected books"),
                ("discount", "Lower the price by 10%"),
            ],
        )

    def test_an_action_changes_the_selected_rows_only(self):
        self.login("toy.view_book", "toy.change_book")

        response = self.run_action("discount", self.call.pk)

        self.assertEqual(response.status_code, 200)
        self.call.refresh_from_db()
        self.grass.refresh_from_db()
        self.assertEqual(self.call.price, Decimal("13.50"))
        self.assertEqual(self.grass.price, Decimal("25.00"))

    def test_an_action_the_user_may_not_run_is_403(self):
        self.login("toy.view_book")

        response = self.client.post(
            BOOKS, {"action": "discount", "_selected_action": [self.call.pk]}
        )

        self.assertEqual(response.status_code, 403)
        self.call.refresh_from_db()
        self.assertEqual(self.call.price, Decimal("15.00"))

    def test_an_action_without_a_selection_says_so(self):
        self.login("root")

        response = self.run_action("discount")

        self.assertIn(
            "Select at least one row for the action to work on.",
            messages_of(response),
        )
        self.assertEqual(Book.objects.get(pk=self.call.pk).price, Decimal("15.00"))

    def test_an_unknown_action_is_refused_politely(self):
        self.login("root")

        response = self.run_action("drop_table", self.call.pk)

        self.assertIn("Unknown action.", messages_of(response))

    def test_selected_rows_that_do_not_exist_are_skipped_and_counted(self):
        self.login("root")

        response = self.run_action(
            "discount", self.call.pk, 999999, "99999999999999999999999"
        )

        self.assertIn(
            "2 selected rows are not available to you and were skipped.",
            messages_of(response),
        )
        self.assertEqual(Book.objects.get(pk=self.call.pk).price, Decimal("13.50"))

    def test_a_selection_that_is_no_id_is_no_selection(self):
        self.login("root")

        response = self.run_action("discount", "abc")

        self.assertEqual(response.status_code, 200)
        self.assertEqual(Book.objects.get(pk=self.call.pk).price, Decimal("15.00"))

    def test_an_action_declared_with_the_decorator_on_authors(self):
        self.login("root")

        response = self.run_action("deactivate", self.lu.pk, url=AUTHORS)

        self.assertFalse(Author.objects.get(pk=self.lu.pk).active)
        self.assertIn("1 authors were marked inactive.", messages_of(response))


class DeleteSelectedTests(ListPageTestCase):
    def test_deleting_asks_first_listing_what_goes(self):
        self.login("root")

        response = self.client.post(
            BOOKS,
            {"action": "delete_selected", "_selected_action": [self.call.pk]},
        )

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Are you sure you want to delete the selected")
        self.assertContains(response, "Book: Call to Arms")
        self.assertContains(response, "Review: Mao Dun on Call to Arms")
        self.assertTrue(Book.objects.filter(pk=self.call.pk).exists())

    def test_confirming_deletes_the_rows_and_records_each(self):
        user = self.login("toy.view_book", "toy.delete_book")

        response = self.client.post(
            BOOKS,
            {
                "action": "delete_selected",
                "_selected_action": [self.call.pk, self.grass.pk],
                "post": "yes",
            },
            follow=True,
        )

        self.assertEqual(Book.objects.count(), 0)
        self.assertEqual(Review.objects.count(), 0)
        self.assertIn("2 books were deleted.", messages_of(response))
        entries = ChangeLog.objects.filter(action=ChangeLog.Action.DELETION)
        self.assertEqual(
            sorted(entry.object_repr for entry in entries),
            ["Call to Arms", "Wild Grass"],
        )
        self.assertTrue(all(entry.user == user for entry in entries))

    def test_delete_selected_needs_the_delete_permission(self):
        self.login("toy.view_book", "toy.change_book")

        response = self.client.post(
            BOOKS,
            {
                "action": "delete_selected",
                "_selected_action": [self.call.pk],
                "post": "yes",
            },
        )

        self.assertEqual(response.status_code, 403)
        self.assertEqual(Book.objects.count(), 2)

    def test_protected_rows_are_named_and_not_deleted(self):
        self.login("root")

        response = self.client.post(
            AUTHORS,
            {
                "action": "delete_selected",
                "_selected_action": [self.lu.pk],
                "post": "yes",
            },
        )

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Book: Call to Arms")
        self.assertNotContains(response, "Yes, delete")
        self.assertTrue(Author.objects.filter(pk=self.lu.pk).exists())
        self.assertFalse(ChangeLog.objects.exists())


class RowScopedWriteTests(ListPageTestCase):
    """A hooked rule ("change own books") bounds every write it allows."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.family = make_book("Family", make_author("Ba Jin"), price=Decimal("30"))

    def setUp(self):
        self.client.force_login(
            make_user(
                "toy.view_book",
                "toy.change_own_books",
                "toy.view_author",
                "toy.view_tag",
                email="lu@example.com",
            )
        )

    def test_an_action_of_a_hooked_rule_skips_the_rows_it_does_not_allow(self):
        response = self.client.post(
            BOOKS,
            {"action": "discount", "_selected_action": [self.call.pk, self.family.pk]},
            follow=True,
        )

        self.assertIn(
            "1 selected row is not available to you and was skipped.",
            messages_of(response),
        )
        self.assertEqual(Book.objects.get(pk=self.call.pk).price, Decimal("13.50"))
        self.assertEqual(Book.objects.get(pk=self.family.pk).price, Decimal("30.00"))

    def test_the_change_page_of_a_hooked_rule_saves_allowed_rows_only(self):
        def post(book):
            return self.client.post(
                f"/admin/toy/book/{book.pk}/change/",
                {
                    "title": book.title,
                    "author": book.author_id,
                    "isbn": book.isbn,
                    "price": "1.00",
                },
            )

        self.assertEqual(post(self.call).status_code, 302)
        self.assertEqual(post(self.family).status_code, 403)
        self.assertEqual(Book.objects.get(pk=self.family.pk).price, Decimal("30.00"))

    def test_list_editing_of_a_hooked_rule_saves_allowed_rows_only(self):
        data = {
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "2",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(self.call.pk),
            "form-0-price": "1.00",
            "form-1-id": str(self.family.pk),
            "form-1-price": "1.00",
            "_save": "Save",
        }

        self.client.post(BOOKS, data)

        self.assertEqual(Book.objects.get(pk=self.call.pk).price, Decimal("1.00"))
        self.assertEqual(Book.objects.get(pk=self.family.pk).price, Decimal("30.00"))
