"""The toy models in kingadmin: the default site and a second one, "backoffice"."""

from decimal import Decimal

from django.contrib import messages
from django.db.models import Avg

import kingadmin
from kingadmin import AdminSite
from kingadmin.tests.toy.models import Author, Book, Review, Tag


class PriceBandFilter(kingadmin.SimpleListFilter):
    title = "price band"
    parameter_name = "price_band"

    def lookups(self, request, model_admin):
        return (("cheap", "Under 20"), ("dear", "20 and more"))

    def queryset(self, request, queryset):
        if self.value() == "cheap":
            return queryset.filter(price__lt=20)
        if self.value() == "dear":
            return queryset.filter(price__gte=20)
        return queryset


@kingadmin.register(Author)
class AuthorAdmin(kingadmin.ModelAdmin):
    list_display = ("name", "email", "country", "active", "book_count")
    list_filter = ("country", "active", "created")
    search_fields = ("name", "^email")
    ordering = ("name",)
    readonly_fields = ("created",)
    actions = ("delete_selected", "deactivate")

    @kingadmin.display(description="books")
    def book_count(self, obj):
        return obj.books.count()

    @kingadmin.action(description="Mark the selected authors inactive")
    def deactivate(self, request, queryset):
        count = queryset.update(active=False)
        messages.success(request, f"{count} authors were marked inactive.")


@kingadmin.register(Tag)
class TagAdmin(kingadmin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
    ordering = ("name",)


@kingadmin.register(Book)
class BookAdmin(kingadmin.ModelAdmin):
    list_display = ("title", "author", "isbn", "price", "published", "tag_names")
    list_filter = (PriceBandFilter, "author", "published", "tags")
    search_fields = ("title", "=isbn", "author__name")
    ordering = ("title",)
    list_editable = ("price",)
    list_per_page = 10
    readonly_fields = ("average_rating",)
    autocomplete_fields = ("author", "tags")
    actions = ("delete_selected", "discount")

    @kingadmin.display(description="tags")
    def tag_names(self, obj):
        return ", ".join(tag.name for tag in obj.tags.all())

    @kingadmin.display(description="average rating", empty_value="no reviews")
    def average_rating(self, obj):
        average = obj.reviews.aggregate(average=Avg("rating"))["average"]
        return None if average is None else f"{average:.1f}"

    @kingadmin.action(description="Lower the price by 10%")
    def discount(self, request, queryset):
        for book in queryset:
            book.price = (book.price * Decimal("0.9")).quantize(Decimal("0.01"))
            book.save(update_fields=["price"])


@kingadmin.register(Review)
class ReviewAdmin(kingadmin.ModelAdmin):
    list_display = ("book", "reviewer", "rating")
    list_filter = ("rating",)
    search_fields = ("reviewer", "book__title")
    # Only what the columns show: the book's title (its __str__), no price.
    list_only = ("book__title", "reviewer", "rating")


# A second site, with its own URL namespace and its own routes in the rules.
backoffice = AdminSite("backoffice")
backoffice.site_header = "Back office"


class BackofficeBookAdmin(kingadmin.ModelAdmin):
    list_display = ("title", "author")
    search_fields = ("title",)


backoffice.register(Book, BackofficeBookAdmin)
backoffice.register(Author, AuthorAdmin)


class ReviewRecordAdmin(kingadmin.ReadOnlyModelAdmin):
    """Reviews as a record the back office reads and never edits."""

    list_display = ("book", "reviewer", "rating")


backoffice.register(Review, ReviewRecordAdmin)
