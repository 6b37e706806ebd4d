"""Rows of the toy project for tests: users holding permissions, authors, books."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth.models import Permission, User

from kingadmin.tests.toy.models import Author, Book, Review, Tag

PASSWORD = "pw-for-tests-1"
_numbers = itertools.count(1)


def permissions(*names: str) -> list[Permission]:
    """Return the Permission rows of ``app_label.codename`` names."""
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.append(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return found


def make_user(*perms: str, username: str = "", email: str = "", **extra) -> User:
    """Return a staff-less user holding the permissions ``perms`` directly."""
    number = next(_numbers)
    user = User.objects.create_user(
        username or f"user{number}", email, PASSWORD, **extra
    )
    user.user_permissions.add(*permissions(*perms))
    # A fresh instance: has_perm caches the permissions it read first.
    return User.objects.get(pk=user.pk)


def make_superuser(username: str = "root") -> User:
    return User.objects.create_superuser(username, f"{username}@example.com", PASSWORD)


def make_author(name: str = "", **extra) -> Author:
    number = next(_numbers)
    extra.setdefault("email", f"author{number}@example.com")
    return Author.objects.create(name=name or f"Author {number}", **extra)


def make_book(title: str = "", author: Author | None = None, **extra) -> Book:
    number = next(_numbers)
    tags = extra.pop("tags", ())
    extra.setdefault("isbn", f"{9780000000000 + number}")
    extra.setdefault("price", Decimal("10.00"))
    extra.setdefault("published", datetime.date(2020, 1, 1))
    book = Book.objects.create(
        title=title or f"Book {number}", author=author or make_author(), **extra
    )
    book.tags.set(tags)
    return book


def make_tag(name: str) -> Tag:
    return Tag.objects.create(name=name)


def make_review(book: Book, reviewer: str = "Reader", rating: int = 4) -> Review:
    return Review.objects.create(book=book, reviewer=reviewer, rating=rating)


def messages_of(response) -> list[str]:
    """Return the texts of the messages a page shows."""
    return [str(message) for message in response.context["messages"]]


def log_of(obj):
    """Return the ChangeLog entries of ``obj``."""
    from django.contrib.contenttypes.models import ContentType

    from kingadmin.models import ChangeLog

    return ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    )
