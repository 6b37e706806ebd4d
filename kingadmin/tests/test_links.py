"""Row links: ``reverse_id`` gives what ``reverse`` gives, for any id.

``reverse_fixed`` (URLs without an id) likewise, under any prefix or URLconf.
"""

from django.http import HttpResponse
from django.test import SimpleTestCase, override_settings
from django.urls import NoReverseMatch, path, reverse, set_script_prefix
from django.utils import translation

from kingadmin.links import MARKER, one_page, reverse_fixed, reverse_id


def nothing(request, pk):
    return HttpResponse()


urlpatterns = [
    path("books/<str:pk>/", nothing, name="book"),
    path("numbers/<int:pk>", nothing, name="number"),
    path("shelves/<str:shelf>/", nothing, name="shelf"),
]


@override_settings(ROOT_URLCONF=__name__)
class ReverseIdTests(SimpleTestCase):
    def test_integer_ids_give_reverses_result(self):
        for name in ("book", "number"):
            for pk in (0, 7, MARKER, 10**18):
                with self.subTest(name=name, pk=pk):
                    self.assertEqual(reverse_id(name, pk), reverse(name, args=[pk]))

    def test_other_ids_go_through_reverse(self):
        for pk in ("a b", "x%y", "名字", "918273645"):
            with self.subTest(pk=pk):
                self.assertEqual(reverse_id("book", pk), reverse("book", args=[pk]))

    def test_the_script_prefix_is_followed(self):
        self.assertEqual(reverse_id("book", 3), "/books/3/")
        set_script_prefix("/school/")
        try:
            self.assertEqual(reverse_id("book", 3), "/school/books/3/")
        finally:
            set_script_prefix("/")

    def test_another_urlconf_is_followed(self):
        self.assertEqual(reverse_id("book", 5), "/books/5/")
        with (
            override_settings(ROOT_URLCONF="kingadmin.tests.urls"),
            self.assertRaises(NoReverseMatch),  # not the cached answer
        ):
            reverse_id("book", 5)
        with translation.override("zh-hans"):
            self.assertEqual(reverse_id("number", 6), "/numbers/6")


@override_settings(ROOT_URLCONF=__name__)
class ReverseFixedTests(SimpleTestCase):
    def test_it_gives_reverses_result_for_each_prefix_and_urlconf(self):
        self.assertEqual(reverse_fixed("shelf", {"shelf": "a b"}), "/shelves/a%20b/")
        self.assertEqual(reverse_fixed("shelf", {"shelf": "x"}), "/shelves/x/")
        set_script_prefix("/school/")
        try:
            self.assertEqual(
                reverse_fixed("shelf", {"shelf": "x"}), "/school/shelves/x/"
            )
        finally:
            set_script_prefix("/")
        with (
            override_settings(ROOT_URLCONF="kingadmin.tests.urls"),
            self.assertRaises(NoReverseMatch),  # not the cached answer
        ):
            reverse_fixed("shelf", {"shelf": "x"})


@override_settings(ROOT_URLCONF=__name__)
class OnePageTests(SimpleTestCase):
    def test_inside_one_page_links_follow_the_prefix_read_on_entry(self):
        set_script_prefix("/school/")
        try:
            with one_page():
                self.assertEqual(reverse_id("book", 3), "/school/books/3/")
                self.assertEqual(
                    reverse_fixed("shelf", {"shelf": "x"}), "/school/shelves/x/"
                )
                self.assertEqual(reverse_id("book", "a b"), "/school/books/a%20b/")
        finally:
            set_script_prefix("/")
        self.assertEqual(reverse_id("book", 3), "/books/3/")  # read again after

    def test_each_block_reads_them_again(self):
        with one_page():
            self.assertEqual(reverse_id("book", 4), "/books/4/")
        with (
            override_settings(ROOT_URLCONF="kingadmin.tests.urls"),
            one_page(),
            self.assertRaises(NoReverseMatch),  # not the first block's URLconf
        ):
            reverse_id("book", 4)
        with one_page():
            set_script_prefix("/school/")
            try:
                with one_page():  # nested: its own reading
                    self.assertEqual(reverse_id("book", 4), "/school/books/4/")
            finally:
                set_script_prefix("/")
            self.assertEqual(reverse_id("book", 4), "/books/4/")  # the outer's
