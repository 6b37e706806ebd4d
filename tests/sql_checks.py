"""Checks of the SQL a page ran (captured with CaptureQueriesContext)."""


def top_level(sql: str, keyword: str) -> int:
    """Return where ``keyword`` first occurs outside parentheses and quotes, or -1.

    The page's rows carry their count as a scalar subquery in the select
    list, which has a WHERE of its own: only the outer query's counts here.
    """
    depth, quote = 0, None
    for index, char in enumerate(sql):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and sql.startswith(keyword, index):
            return index
    return -1


def assert_password_never_filters_or_sorts(queries) -> None:
    """Loading a user selects its password column; no condition or sort may use it."""
    for query in queries:
        sql = query["sql"].lower()
        where = top_level(sql, " where ")
        after_select = sql[where:] if where >= 0 else ""
        assert '."password"' not in after_select, sql
        order = top_level(sql, " order by ")
        if order >= 0:
            assert '."password"' not in sql[order:], sql
