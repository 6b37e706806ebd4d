"""The add, change, delete and history pages, and what they record."""

import datetime
from decimal import Decimal

from django.test import Client, TestCase

from kingadmin.models import ChangeLog
from kingadmin.tests.factories import (
    log_of,
    make_author,
    make_book,
    make_review,
    make_superuser,
    make_tag,
    make_user,
    messages_of,
)
from kingadmin.tests.toy.models import Author, Book, Review

ADD = "/admin/toy/book/add/"


def change_url(obj):
    return f"/admin/toy/{obj._meta.model_name}/{obj.pk}/change/"


class ChangeFormTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.lu = make_author("Lu Xun", email="lu@example.com")
        cls.ba = make_author("Ba Jin", email="ba@example.com")
        cls.classic = make_tag("classic")
        cls.book = make_book(
            "Call to Arms",
            cls.lu,
            isbn="9787000000001",
            price=Decimal("15.00"),
            published=datetime.date(1923, 8, 1),
        )
        cls.root = make_superuser()

    def setUp(self):
        self.client.force_login(self.root)

    def login(self, *perms, **extra):
        user = make_user(*perms, **extra)
        self.client.force_login(user)
        return user

    def book_data(self, **changes):
        data = {
            "title": "Wild Grass",
            "author": str(self.lu.pk),
            "isbn": "9787000000002",
            "price": "25.00",
            "published": "1927-07-01",
            "tags": [str(self.classic.pk)],
        }
        data.update(changes)
        return {key: value for key, value in data.items() if value is not None}


class AddTests(ChangeFormTestCase):
    def test_the_add_page_shows_the_editable_fields_and_the_read_only_ones(self):
        response = self.client.get(ADD)

        self.assertEqual(
            list(response.context["form"].fields),
            ["title", "author", "isbn", "price", "published", "tags"],
        )
        self.assertContains(response, "Add book")
        self.assertContains(response, 'data-readonly-field="average_rating"')
        self.assertContains(response, "/admin/toy/book/autocomplete/?field=author")

    def test_adding_saves_the_row_and_records_its_values(self):
        response = self.client.post(ADD, self.book_data(), follow=True)

        book = Book.objects.get(title="Wild Grass")
        self.assertRedirects(response, "/admin/toy/book/")
        self.assertEqual(
            (book.author, book.price, list(book.tags.all())),
            (self.lu, Decimal("25.00"), [self.classic]),
        )
        self.assertIn("The book “Wild Grass” was added.", messages_of(response))
        entry = log_of(book).get()
        self.assertEqual((entry.action, entry.user), ("add", self.root))
        self.assertIn(
            {"field": "isbn", "label": "ISBN", "old": "", "new": "9787000000002"},
            entry.changes,
        )
        self.assertIn(
            {"field": "tags", "label": "tags", "old": "", "new": "classic"},
            entry.changes,
        )

    def test_save_and_continue_opens_the_new_rows_change_page(self):
        response = self.client.post(ADD, {**self.book_data(), "_continue": "1"})

        book = Book.objects.get(title="Wild Grass")
        self.assertRedirects(response, change_url(book))

    def test_save_and_add_another_opens_an_empty_add_page(self):
        response = self.client.post(ADD, {**self.book_data(), "_addanother": "1"})

        self.assertRedirects(response, ADD)

    def test_an_invalid_post_saves_nothing_and_names_each_error(self):
        response = self.client.post(
            ADD, self.book_data(title="", price="cheap", isbn="9787000000001")
        )

        self.assertEqual(response.status_code, 200)
        form = response.context["form"]
        self.assertEqual(form.errors["title"], ["This field is required."])
        self.assertEqual(form.errors["price"], ["Enter a number."])
        self.assertEqual(form.errors["isbn"], ["Book with this ISBN already exists."])
        self.assertContains(response, "Book with this ISBN already exists.")
        self.assertIn("Please correct the errors below.", messages_of(response))
        self.assertEqual(Book.objects.count(), 1)
        self.assertFalse(ChangeLog.objects.exists())

    def test_a_post_without_the_csrf_token_is_refused(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.root)

        refused = client.post(ADD, self.book_data())
        client.get(ADD)
        token = client.cookies["csrftoken"].value
        accepted = client.post(ADD, {**self.book_data(), "csrfmiddlewaretoken": token})

        self.assertEqual((refused.status_code, accepted.status_code), (403, 302))
        self.assertEqual(Book.objects.filter(title="Wild Grass").count(), 1)

    def test_adding_needs_the_add_permission(self):
        self.login("toy.view_book")

        self.assertEqual(self.client.get(ADD).status_code, 403)
        self.assertEqual(self.client.post(ADD, self.book_data()).status_code, 403)
        self.assertEqual(Book.objects.count(), 1)

    def test_a_relation_offers_only_rows_the_user_may_view(self):
        self.login("toy.view_book", "toy.add_book")

        refused = self.client.post(ADD, self.book_data())

        self.assertIn(
            "Select a valid choice.", refused.context["form"].errors["author"][0]
        )
        self.login("toy.view_book", "toy.add_book", "toy.view_author", "toy.view_tag")
        self.assertEqual(self.client.post(ADD, self.book_data()).status_code, 302)
        self.assertTrue(Book.objects.filter(title="Wild Grass").exists())

    def test_who_may_add_but_not_view_returns_to_the_index(self):
        self.login("toy.add_book", "toy.view_author", "toy.view_tag")

        response = self.client.post(ADD, self.book_data())

        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)


class ChangeTests(ChangeFormTestCase):
    def test_the_change_page_shows_the_stored_values(self):
        response = self.client.get(change_url(self.book))

        self.assertContains(response, "Change book")
        self.assertContains(response, 'value="Call to Arms"')
        self.assertContains(response, 'value="9787000000001"')
        self.assertContains(response, f'href="/admin/toy/book/{self.book.pk}/history/"')

    def test_a_read_only_method_is_shown_as_text(self):
        empty = self.client.get(change_url(self.book))
        make_review(self.book, rating=5)
        make_review(self.book, rating=2)
        rated = self.client.get(change_url(self.book))

        self.assertContains(empty, "no reviews")
        self.assertContains(rated, "3.5")
        self.assertNotIn("average_rating", rated.context["form"].fields)

    def test_changing_saves_and_records_only_what_changed(self):
        response = self.client.post(
            change_url(self.book),
            self.book_data(title="Call to Arms", isbn="9787000000001", price="16.00"),
            follow=True,
        )

        self.assertRedirects(response, "/admin/toy/book/")
        self.book.refresh_from_db()
        self.assertEqual(self.book.price, Decimal("16.00"))
        self.assertIn("The book “Call to Arms” was changed.", messages_of(response))
        entry = log_of(self.book).get()
        self.assertEqual(entry.action, "change")
        self.assertEqual(
            [change["field"] for change in entry.changes],
            ["price", "published", "tags"],
        )
        self.assertIn(
            {"field": "price", "label": "price", "old": "15.00", "new": "16.00"},
            entry.changes,
        )

    def test_a_viewer_sees_the_change_page_but_may_not_save(self):
        self.login("toy.view_book")

        self.assertEqual(self.client.get(change_url(self.book)).status_code, 200)
        response = self.client.post(change_url(self.book), self.book_data())

        self.assertEqual(response.status_code, 403)
        self.book.refresh_from_db()
        self.assertEqual(self.book.title, "Call to Arms")

    def test_a_read_only_model_field_is_text_and_cannot_be_changed(self):
        url = change_url(self.lu)
        page = self.client.get(url)
        self.assertContains(page, 'data-readonly-field="created"')

        response = self.client.post(
            url,
            {
                "name": "Lu Xun",
                "email": "lu@example.com",
                "country": "cn",
                "active": "on",
                "created": "1881-09-25",
            },
        )

        self.assertEqual(response.status_code, 200)
        self.assertIn("is read-only", response.context["form"].errors["created"][0])
        self.lu.refresh_from_db()
        self.assertEqual(self.lu.created, datetime.date.today())

    def test_a_row_outside_the_users_rules_is_403_and_a_missing_one_404(self):
        self.login("toy.view_own_books", email="ba@example.com")

        self.assertEqual(self.client.get(change_url(self.book)).status_code, 403)
        self.client.force_login(self.root)
        for object_id in ("999999", "abc", "99999999999999999999999"):
            with self.subTest(object_id=object_id):
                response = self.client.get(f"/admin/toy/book/{object_id}/change/")
                self.assertEqual(response.status_code, 404)

    def test_the_stored_relation_stays_a_choice_when_saving(self):
        self.login("toy.view_book", "toy.change_book", "toy.view_tag")

        response = self.client.post(
            change_url(self.book), self.book_data(author=str(self.ba.pk))
        )

        # The user may view no author: no author is a choice.
        self.assertIn("author", response.context["form"].errors)
        self.book.refresh_from_db()
        self.assertEqual(self.book.author, self.lu)


class DeleteTests(ChangeFormTestCase):
    def delete_url(self, obj):
        return f"/admin/toy/{obj._meta.model_name}/{obj.pk}/delete/"

    def test_the_delete_page_lists_what_goes_with_the_row(self):
        make_review(self.book, "Mao Dun")

        response = self.client.get(self.delete_url(self.book))

        self.assertContains(response, "Are you sure you want to delete the book")
        self.assertContains(response, "Review: Mao Dun on Call to Arms")
        self.assertEqual(response.context["model_counts"], {"books": 1, "reviews": 1})
        self.assertTrue(Book.objects.filter(pk=self.book.pk).exists())

    def test_deleting_removes_the_row_and_records_it(self):
        make_review(self.book)

        response = self.client.post(self.delete_url(self.book), follow=True)

        self.assertRedirects(response, "/admin/toy/book/")
        self.assertFalse(Book.objects.exists())
        self.assertFalse(Review.objects.exists())
        self.assertIn("The book “Call to Arms” was deleted.", messages_of(response))
        entry = ChangeLog.objects.get(action="delete")
        self.assertEqual((entry.object_repr, entry.user), ("Call to Arms", self.root))
        self.assertIn(
            {"field": "title", "label": "title", "old": "Call to Arms", "new": ""},
            entry.changes,
        )

    def test_a_protected_row_is_explained_and_kept(self):
        page = self.client.get(self.delete_url(self.lu))
        self.client.post(self.delete_url(self.lu))

        self.assertContains(page, "because these objects depend on it")
        self.assertContains(page, "Book: Call to Arms")
        self.assertNotContains(page, "Yes, delete")
        self.assertTrue(Author.objects.filter(pk=self.lu.pk).exists())

    def test_deleting_needs_the_delete_permission(self):
        self.login("toy.view_book", "toy.change_book")

        self.assertEqual(self.client.get(self.delete_url(self.book)).status_code, 403)
        self.assertEqual(self.client.post(self.delete_url(self.book)).status_code, 403)
        self.assertTrue(Book.objects.exists())

    def test_the_change_page_links_to_delete_only_for_who_may_delete(self):
        self.login("toy.view_book", "toy.change_book")
        without = self.client.get(change_url(self.book))
        self.login("toy.view_book", "toy.change_book", "toy.delete_book")
        with_delete = self.client.get(change_url(self.book))

        link = f'href="{self.delete_url(self.book)}"'
        self.assertNotContains(without, link)
        self.assertContains(with_delete, link)


class HistoryTests(ChangeFormTestCase):
    def history_url(self, obj):
        return f"/admin/toy/book/{obj.pk}/history/"

    def test_the_history_lists_the_changes_newest_first(self):
        self.client.post(ADD, self.book_data())
        book = Book.objects.get(title="Wild Grass")
        self.client.post(change_url(book), self.book_data(price="26.00"))

        response = self.client.get(self.history_url(book))

        entries = list(response.context["entries"])
        self.assertEqual([entry.action for entry in entries], ["change", "add"])
        self.assertContains(response, "History of Wild Grass")
        self.assertContains(response, "25.00")
        self.assertContains(response, "26.00")
        self.assertContains(response, "by root")

    def test_a_row_never_changed_through_kingadmin_has_an_empty_history(self):
        response = self.client.get(self.history_url(self.book))

        self.assertContains(
            response, "No changes were made to this object through kingadmin."
        )

    def test_the_history_is_decided_like_the_row(self):
        self.login("toy.view_own_books", email="lu@example.com")
        own = self.client.get(self.history_url(self.book))
        self.login("toy.view_own_books", email="ba@example.com")
        foreign = self.client.get(self.history_url(self.book))
        self.login()
        nothing = self.client.get(self.history_url(self.book))

        self.assertEqual(
            (own.status_code, foreign.status_code, nothing.status_code),
            (200, 403, 403),
        )

    def test_an_entry_of_a_deleted_user_is_kept(self):
        editor = self.login(
            "toy.view_book", "toy.change_book", "toy.view_author", "toy.view_tag"
        )
        self.client.post(
            change_url(self.book),
            self.book_data(title="Call to Arms", isbn=self.book.isbn),
        )
        self.assertTrue(log_of(self.book).exists())
        editor.delete()
        self.client.force_login(self.root)

        response = self.client.get(self.history_url(self.book))

        self.assertContains(response, "(deleted user)")
