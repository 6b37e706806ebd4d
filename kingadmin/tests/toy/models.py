"""Toy models: small, but with every kind of field kingadmin handles."""

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Author(models.Model):
    class Country(models.TextChoices):
        CHINA = "cn", "China"
        FRANCE = "fr", "France"
        USA = "us", "United States"

    name = models.CharField("name", max_length=100)
    email = models.EmailField("email", unique=True)
    country = models.CharField(
        "country", max_length=2, choices=Country, default=Country.CHINA
    )
    active = models.BooleanField("active", default=True)
    created = models.DateField("created", default=datetime.date.today)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField("name", max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Book(models.Model):
    title = models.CharField("title", max_length=200)
    # PROTECT: an author with books cannot be deleted (the delete page says why).
    author = models.ForeignKey(
        Author, verbose_name="author", on_delete=models.PROTECT, related_name="books"
    )
    isbn = models.CharField("ISBN", max_length=13, unique=True)
    price = models.DecimalField("price", max_digits=8, decimal_places=2)
    published = models.DateField("published", null=True, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name="tags", blank=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["published"], name="toy_book_published_idx")]

    def __str__(self) -> str:
        return self.title


class Review(models.Model):
    book = models.ForeignKey(
        Book, verbose_name="book", on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.CharField("reviewer", max_length=100)
    rating = models.PositiveSmallIntegerField(
        "rating",
        choices=[(n, str(n)) for n in range(1, 6)],
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.book}"
