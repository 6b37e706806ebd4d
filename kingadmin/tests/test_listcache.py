"""The list page's kept parts: related filter options and the rendered filters."""

import re
import time
from decimal import Decimal
from unittest import mock

from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation

import kingadmin
from kingadmin import listcache
from kingadmin.filters import SimpleListFilter
from kingadmin.tests.factories import make_author, make_book, make_user
from kingadmin.tests.test_changelist import (
    BOOKS,
    ChangelistTestCase,
    FilterTests,
    OrderingTests,
    PaginationTests,
)
from kingadmin.tests.toy.kingadmin import PriceBandFilter
from kingadmin.tests.toy.models import Author, Book

CACHED = override_settings(
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "lists": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "kingadmin-tests-lists",
        },
    },
    KINGADMIN_LIST_CACHE="lists",
    KINGADMIN_LIST_CACHE_SECONDS=60,
)


class Cleared:
    def setUp(self):
        super().setUp()
        # The cache outlives each test's rolled-back rows (ids repeat).
        caches["lists"].clear()


@CACHED
class CachedFilterTests(Cleared, FilterTests):
    """Every filter test again, the options and the filters kept."""


@CACHED
class CachedOrderingTests(Cleared, OrderingTests):
    """Every sort test again, the headers kept per query string."""


@CACHED
class CachedPaginationTests(Cleared, PaginationTests):
    """Every page test again: the filters kept, their links per query string."""


def without_token(response) -> bytes:
    """Return the page without its CSRF token (masked anew on each page)."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)


def author_options(response) -> list[str]:
    spec = next(
        s
        for s in response.context["cl"].filters
        if getattr(s, "field_path", "") == "author"
    )
    return [label for _value, label in spec.options_list]


@CACHED
class ListCacheTests(Cleared, ChangelistTestCase):
    def queries(self, url, params=None):
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url, params or {})
        self.assertEqual(response.status_code, 200)
        return response, len(queries)

    def test_the_related_options_are_queried_once_then_kept(self):
        first, cold = self.queries(BOOKS)
        second, warm = self.queries(BOOKS)

        # The author and tag filters' options: one query each, the first time.
        self.assertEqual(cold - warm, 2)
        self.assertEqual(author_options(second), author_options(first))
        self.assertEqual(without_token(second), without_token(first))

    def test_a_row_added_or_renamed_here_is_offered_at_once(self):
        self.client.get(BOOKS)
        make_author("Lao She")
        self.assertIn("Lao She", author_options(self.client.get(BOOKS)))

        self.hugo.name = "Hugo, Victor"
        self.hugo.save()
        response = self.client.get(BOOKS)
        self.assertIn("Hugo, Victor", author_options(response))
        self.assertContains(response, "Hugo, Victor</a>")

        make_author("Mao Dun").delete()
        self.client.get(BOOKS)
        gone = make_author("Shen Congwen")
        self.assertIn("Shen Congwen", author_options(self.client.get(BOOKS)))
        gone.delete()
        self.assertNotIn("Shen Congwen", author_options(self.client.get(BOOKS)))

    def test_a_write_that_sends_no_signal_shows_after_the_timeout(self):
        self.client.get(BOOKS)
        Author.objects.filter(pk=self.hugo.pk).update(name="Hugo, V.")
        self.assertIn("Victor Hugo", author_options(self.client.get(BOOKS)))

        later = time.time() + 61
        with mock.patch("django.core.cache.backends.locmem.time.time") as now:
            now.return_value = later
            response = self.client.get(BOOKS)
        self.assertIn("Hugo, V.", author_options(response))
        self.assertNotIn("Victor Hugo", author_options(response))

    def test_options_are_kept_per_user_and_permissions(self):
        self.client.get(BOOKS)  # the superuser's options, kept
        reader = make_user("toy.view_book")
        self.client.force_login(reader)
        titles = [str(s.title) for s in self.client.get(BOOKS).context["cl"].filters]
        self.assertNotIn("Author", titles)

        # Given the right to view authors, the reader is offered them at once.
        reader.user_permissions.add(
            *reader.user_permissions.model.objects.filter(codename="view_author")
        )
        self.assertEqual(
            author_options(self.client.get(BOOKS)),
            ["Ba Jin", "Lu Xun", "Victor Hugo"],
        )

    def test_the_filters_are_rendered_per_query_string(self):
        self.client.get(BOOKS)
        chosen = self.client.get(BOOKS, {"author": self.lu.pk})

        self.assertContains(
            chosen,
            f'<a class="list-group-item list-group-item-action py-1 active" '
            f'href="?author={self.lu.pk}" aria-current="true">Lu Xun</a>',
            html=True,
        )
        searched = self.client.get(BOOKS, {"q": "Family"})
        self.assertContains(
            searched,
            '<a class="list-group-item list-group-item-action py-1" '
            f'href="?q=Family&amp;author={self.lu.pk}">Lu Xun</a>',
            html=True,
        )

    def test_the_headers_are_rendered_per_query_string(self):
        ascending = self.client.get(BOOKS, {"o": "price"})
        descending = self.client.get(BOOKS, {"o": "-price"})

        self.assertContains(ascending, 'href="?o=-price">Price <i')
        self.assertContains(ascending, 'aria-label="ascending"')
        self.assertContains(descending, 'href="?o=price">Price <i')
        self.assertContains(descending, 'aria-label="descending"')

    def test_the_filters_are_kept_per_language(self):
        changelist = self.client.get(BOOKS).context["cl"]

        with translation.override("en"):
            english = listcache._panel_key(changelist)
        with translation.override("zh-hans"):
            chinese = listcache._panel_key(changelist)
        self.assertNotEqual(english, chinese)

    def test_nothing_is_kept_without_the_setting(self):
        with override_settings(KINGADMIN_LIST_CACHE=None):
            _first, cold = self.queries(BOOKS)
            _second, again = self.queries(BOOKS)
        self.assertEqual(cold, again)


class RenderStateTests(ChangelistTestCase):
    def filters(self, params=None):
        return self.client.get(BOOKS, params or {}).context["cl"].filters

    def test_each_built_in_filter_says_what_it_shows(self):
        states = [spec.render_state() for spec in self.filters({"author": self.lu.pk})]

        self.assertNotIn(None, states)
        lookups = (("cheap", "Under 20"), ("dear", "20 and more"))
        self.assertEqual(states[0], ("price_band", lookups, None))
        self.assertEqual(states[1][0], "author")
        self.assertEqual(states[1][2], str(self.lu.pk))  # the chosen author

    def test_a_filter_that_lays_out_its_own_choices_is_rendered_every_time(self):
        class Custom(PriceBandFilter):
            def choices(self, changelist):
                yield from super().choices(changelist)

        class Plain(SimpleListFilter):
            title = "plain"
            parameter_name = "plain"

            def lookups(self, request, model_admin):
                return [("1", "One")]

            def queryset(self, request, queryset):
                return queryset

        request = self.client.get(BOOKS).wsgi_request
        admin = kingadmin.site.get_model_admin(Author)
        self.assertIsNone(Custom(request, {}, Author, admin).render_state())
        self.assertIsNotNone(Plain(request, {}, Author, admin).render_state())


class WatchTests(ChangelistTestCase):
    def test_only_watched_models_get_receivers(self):
        from django.db.models.signals import post_delete

        from kingadmin.tests.toy.models import Review

        listcache._watch(Author)
        self.assertTrue(post_delete.has_listeners(Author))
        # Bulk deletes of other models keep Django's fast path.
        self.assertFalse(post_delete.has_listeners(Review))


@CACHED
class CappedCountTests(Cleared, ChangelistTestCase):
    """A list found over its count limit is not recounted for a while."""

    def setUp(self):
        super().setUp()
        patcher = mock.patch.object(
            kingadmin.site.get_model_admin(Book), "count_limit", 3
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    def page(self, params=None):
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(BOOKS, params or {})
        counted = any("COUNT(*)" in q["sql"] for q in queries)
        return response, counted

    def test_a_list_over_the_limit_is_counted_once_then_read_alone(self):
        first, counted = self.page()
        self.assertTrue(counted)
        self.assertContains(first, "More than 3 results")

        again, counted = self.page({"o": "-title"})  # the same rows, sorted
        self.assertFalse(counted)
        self.assertContains(again, "More than 3 results")
        self.assertEqual(len(again.context["rows"]), 5)

    def test_other_filters_or_a_list_under_the_limit_are_counted_every_time(self):
        self.page()
        narrowed, counted = self.page({"price_band": "cheap"})
        self.assertTrue(counted)
        self.assertContains(narrowed, "2 results")
        make_book("Cheap Again", self.lu, price=Decimal("5.00"))
        narrowed, counted = self.page({"price_band": "cheap"})
        self.assertTrue(counted)
        self.assertContains(narrowed, "3 results")

    def test_an_empty_page_counts_again(self):
        self.page()
        Book.objects.all().delete()

        response, counted = self.page()

        self.assertTrue(counted)
        self.assertContains(response, "0 results")
        self.assertContains(response, "Nothing matches.")
