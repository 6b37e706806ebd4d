"""Compiled queries give the rows the ORM gives; short lists read once.

``CompiledQuery`` runs the ORM's SQL with new values: each test compares its
rows with the rows of the same queryset built the ORM's way, for several
values in turn, so a value left bound from the first run shows.
"""

import datetime
from decimal import Decimal

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q, Sum
from django.test import TestCase
from django.utils import timezone

from kingadmin.compiled import CompiledQuery
from kingadmin.fields import ShortListChoiceField
from kingadmin.tests.toy.models import Author, Book


def moment(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def joined_between(start, end):
    return (
        User.objects.filter(date_joined__gte=start, date_joined__lt=end)
        .order_by("username")
        .values("username")
    )


def books_of(author, published_since=None, titles=None):
    books = Book.objects.filter(author_id=author)
    if published_since is not None:
        books = books.filter(published__gte=published_since)
    if titles is not None:
        books = books.filter(title__in=titles)
    return (
        books.values("author__name")
        .annotate(n=Count("pk"), total=Sum("price"))
        .order_by("author__name")
    )


class CompiledQueryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        for n, day in enumerate((1, 2, 3, 4)):
            User.objects.create(username=f"u{n}", date_joined=moment(2026, 3, day, 9))
        cls.ann = Author.objects.create(name="Ann", email="ann@example.com")
        cls.bob = Author.objects.create(name="Bob", email="bob@example.com")
        for n, (author, price) in enumerate(
            [(cls.ann, "10.50"), (cls.ann, "4.25"), (cls.bob, "7.00")]
        ):
            Book.objects.create(
                title=f"Book {n}",
                author=author,
                isbn=f"isbn{n}",
                price=Decimal(price),
                published=datetime.date(2020 + n, 1, 1),
            )

    def test_each_run_binds_its_own_datetimes(self):
        query = CompiledQuery(joined_between)
        for start, end in [
            (moment(2026, 3, 2), moment(2026, 3, 4)),
            (moment(2026, 3, 1), moment(2026, 3, 2)),
            (moment(2026, 3, 3, 9), moment(2026, 3, 3, 9, 0, 1)),  # On the bound.
            (moment(2027, 1, 1), moment(2027, 2, 1)),
        ]:
            with self.subTest(start=start):
                expected = list(joined_between(start, end))
                self.assertEqual(query.rows(start=start, end=end), expected)
        self.assertEqual(
            query.rows(start=moment(2026, 3, 2), end=moment(2026, 3, 4)),
            [{"username": "u1"}, {"username": "u2"}],
        )

    def test_rows_come_through_the_orms_converters(self):
        query = CompiledQuery(books_of)
        (row,) = query.rows(author=self.ann.pk)
        self.assertEqual(
            row, {"author__name": "Ann", "n": 2, "total": Decimal("14.75")}
        )
        self.assertIsInstance(row["total"], Decimal)
        self.assertEqual(query.rows(author=self.bob.pk), list(books_of(self.bob.pk)))

    def test_none_leaves_a_filter_out_and_is_a_shape_of_its_own(self):
        query = CompiledQuery(books_of)
        for since in (None, (2021, 1, 1), None, (2020, 1, 2), (1999, 1, 1)):
            since = since and datetime.date(*since)
            with self.subTest(since=since):
                self.assertEqual(
                    query.rows(author=self.ann.pk, published_since=since),
                    list(books_of(self.ann.pk, since)),
                )

    def test_tuples_of_any_length(self):
        query = CompiledQuery(books_of)
        for titles in (("Book 0",), ("Book 0", "Book 1"), ("Book 1", "nothing")):
            with self.subTest(titles=titles):
                self.assertEqual(
                    query.rows(author=self.ann.pk, titles=titles),
                    list(books_of(self.ann.pk, titles=titles)),
                )

    def test_columns_the_order_needs_are_left_out_of_the_rows(self):
        query = CompiledQuery(
            lambda author: (
                Book.objects.filter(author_id=author)
                .values("title")
                .distinct()
                .order_by("-price")
            )
        )
        self.assertEqual(
            query.rows(author=self.ann.pk), [{"title": "Book 0"}, {"title": "Book 1"}]
        )

    def test_one_compilation_per_shape(self):
        query = CompiledQuery(books_of)
        for author in (self.ann.pk, self.bob.pk, self.ann.pk):
            query.rows(author=author)
        query.rows(author=self.ann.pk, published_since=datetime.date(2020, 1, 1))
        self.assertEqual(len(query._compiled), 2)
        with self.assertNumQueries(1):
            query.rows(author=self.bob.pk)

    def test_a_value_the_orm_transforms_cannot_be_compiled(self):
        query = CompiledQuery(
            lambda part: Book.objects.filter(title__contains=part).values("title")
        )
        with self.assertRaisesMessage(ImproperlyConfigured, "cannot be compiled once"):
            query.rows(part="Book")
        query = CompiledQuery(
            lambda year: Book.objects.filter(published__year=year).values("title")
        )
        with self.assertRaisesMessage(ImproperlyConfigured, "cannot be compiled once"):
            query.rows(year=2021)

    def test_only_values_querysets(self):
        query = CompiledQuery(lambda author: Book.objects.filter(author_id=author))
        with self.assertRaisesMessage(ImproperlyConfigured, "values() queryset"):
            query.rows(author=self.ann.pk)

    def test_values_it_cannot_stand_in_for_are_refused(self):
        query = CompiledQuery(joined_between)
        with self.assertRaisesMessage(TypeError, "aware datetimes"):
            query.rows(start=datetime.datetime(2026, 3, 1), end=moment(2026, 3, 2))
        with self.assertRaisesMessage(TypeError, "not Decimal"):
            query.rows(start=Decimal(1), end=moment(2026, 3, 2))


class AuthorForm(forms.Form):
    author = ShortListChoiceField(queryset=Author.objects.order_by("name"))


class ShortListChoiceFieldTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.ann = Author.objects.create(name="Ann", email="ann@example.com")
        cls.bob = Author.objects.create(name="Bob", email="bob@example.com")

    def test_checking_and_listing_read_the_list_once(self):
        form = AuthorForm({"author": str(self.bob.pk)})
        with self.assertNumQueries(1):
            self.assertTrue(form.is_valid())
            html = str(form["author"])
        self.assertEqual(form.cleaned_data["author"], self.bob)
        self.assertInHTML(f'<option value="{self.bob.pk}" selected>Bob</option>', html)
        self.assertInHTML(f'<option value="{self.ann.pk}">Ann</option>', html)
        self.assertInHTML('<option value="">---------</option>', html)

    def test_ids_not_listed_are_refused_with_djangos_message(self):
        other = Author.objects.create(name="Cy", email="cy@example.com")
        form = AuthorForm({"author": str(other.pk)})
        form.fields["author"].queryset = Author.objects.exclude(pk=other.pk)
        for value in (str(other.pk), "abc", "1.5", "9" * 30, "\x00", "-1"):
            with self.subTest(value=value):
                form = AuthorForm({"author": value})
                form.fields["author"].queryset = Author.objects.exclude(pk=other.pk)
                self.assertFalse(form.is_valid())
                self.assertIn("author", form.errors)
        form = AuthorForm({"author": str(other.pk)})
        form.fields["author"].queryset = Author.objects.exclude(pk=other.pk)
        form.is_valid()
        self.assertIn("Select a valid choice.", form.errors["author"][0])

    def test_a_new_queryset_is_read_again(self):
        form = AuthorForm({"author": str(self.ann.pk)})
        self.assertEqual(len(form.fields["author"].choices), 3)
        form.fields["author"].queryset = Author.objects.filter(Q(name="Bob"))
        self.assertEqual(
            [label for _, label in form.fields["author"].choices],
            ["---------", "Bob"],
        )
        self.assertFalse(form.is_valid())

    def test_empty_is_none_when_not_required(self):
        form = AuthorForm({"author": ""})
        form.fields["author"].required = False
        self.assertTrue(form.is_valid())
        self.assertIsNone(form.cleaned_data["author"])
