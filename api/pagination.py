"""Cursor pagination: pages stay stable while rows are added (newest first)."""

from rest_framework.pagination import CursorPagination


class NewestFirst(CursorPagination):
    """Pages of rows, newest first, by primary key (a unique, indexed order)."""

    ordering = "-pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
