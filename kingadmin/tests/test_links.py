"""Row links: ``reverse_id`` gives what ``reverse`` gives, for any id."""

from django.http import HttpResponse
from django.test import SimpleTestCase, override_settings
from django.urls import NoReverseMatch, path, reverse, set_script_prefix
from django.utils import translation

from kingadmin.links import MARKER, reverse_id


def nothing(request, pk):
    return HttpResponse()


urlpatterns = [
    path("books/<str:pk>/", nothing, name="book"),
    path("numbers/<int:pk>", nothing, name="number"),
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
