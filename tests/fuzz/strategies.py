"""Hostile values for the fuzz tests: what a browser, a script or a person
pasting into a form can send.

The strategies yield text (or lists of text for multi-valued fields), the
way values arrive in ``request.GET`` / ``request.POST``; ``uploads`` yields
files with any name and content type. Surrogates are
never drawn: they cannot be encoded in a request at all.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from urllib.parse import quote

from django import forms
from hypothesis import strategies as st

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

# Integers around the limits of the database's integer columns and beyond.
EDGE_INTEGERS = (
    0,
    -1,
    1,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    INT64_MAX,
    INT64_MAX + 1,
    INT64_MIN,
    INT64_MIN - 1,
    2**64,
    2**70,
    10**30,
    -(10**30),
)
FLOATISH = (
    "1.5",
    "-0",
    "-0.0",
    "1e5",
    "1e309",
    "-1e309",
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "0x10",
    "1_000",
    " 12 ",
    "+1",
    "１２",  # full-width digits
    "²",  # a "digit" for str.isdigit() that int() refuses
    "١٢٣",  # Arabic-Indic digits, which int() accepts
    "9" * 5000,  # beyond Python's int-from-text digit limit
)
LOOKUPS = (
    "__empty__",
    "pk__gt",
    "id__in",
    "pk",
    "-pk",
    "__str__",
    "password",
    "consultant__password",
    "user__password__startswith",
    "?",
    "%",
    "_",
    "*",
    "' OR 1=1 --",
    '"; DROP TABLE crm_customer; --',
    "<script>alert(1)</script>",
    "{{ 7|add:7 }}",
    "{% debug %}",
    "%(name)s",
    "%s%s%s",
    "../../etc/passwd",
    "None",
    "null",
    "true",
    "[]",
    "{}",
)
ODD_DATES = (
    "2026-13-45",
    "2026-02-29",
    "2024-02-29",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "99999-01-01",
    "-2026-01-01",
    "2026/01/01",
    "01/02/2026",
    "31.12.2026",
    "20260101",
    " 2026-01-01 ",
    "2026-01-01T25:61",
    "2026-01-01 00:00:00+99:00",
    "2026-W01",
    "today",
    "yesterday",
    "１９９９-０１-０１",
)
SPECIAL_CHARACTERS = (
    "\x00",
    "a\x00b",
    "\x00" * 10,
    "\x1f\x7f\x1b[31m",
    "\r\n",
    "\t",
    "\u202eevil",  # right-to-left override
    "\ufeff",  # byte order mark
    "\u200b",  # zero-width space
    "\ufffe",
    "\U0010ffff",
    "👩‍💻",
    "é",
    "李雷",
    "   ",
)

integers_text = st.one_of(
    st.sampled_from(EDGE_INTEGERS),
    st.integers(),
    st.integers(min_value=INT64_MAX, max_value=2**80),
).map(str)
floats_text = st.one_of(
    st.sampled_from(FLOATISH),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
control_text = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), min_size=1
)
unicode_text = st.text(max_size=40)
long_text = st.sampled_from(("x", "李", "9", "\x00", "a b ")).flatmap(
    lambda piece: st.integers(min_value=300, max_value=6000).map(
        lambda n: piece * (n // len(piece))
    )
)
dates_text = st.one_of(
    st.sampled_from(ODD_DATES),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
)

#: Anything at all, any field.
hostile_text = st.one_of(
    st.just(""),
    integers_text,
    floats_text,
    st.sampled_from(LOOKUPS),
    st.sampled_from(SPECIAL_CHARACTERS),
    control_text,
    unicode_text,
    long_text,
    dates_text,
)

#: Ids of rows that do not exist or that no column could hold.
hostile_ids = st.one_of(
    st.sampled_from(EDGE_INTEGERS).map(str),
    st.integers(min_value=INT64_MAX, max_value=2**80).map(str),
    st.sampled_from(FLOATISH),
    st.sampled_from(("", "abc", "1,2", "1 2", "\x00", "-5", "pk")),
)

#: Query-parameter names nobody declared.
random_names = st.one_of(
    st.sampled_from(LOOKUPS),
    st.sampled_from(("q", "o", "p", "per_page", "format", "all", "e", "_popup")),
    st.text(min_size=1, max_size=20),
)

#: Raw pieces a hand-typed or broken URL carries, appended undecoded.
raw_query_garbage = st.sampled_from(
    ("", "&", "&&", "=", "&=&", "a=%", "%zz=1", "%ff%fe=%c0%af", "p=%00", "q=%", ";")
)


def query_string(pairs: list[tuple[str, str]], garbage: str = "") -> str:
    """Return ``pairs`` percent-encoded, plus raw ``garbage``."""
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    return "&".join(part for part in (encoded, garbage) if part)


# ----------------------------------------------------------------- form fields
def _choice_values(field: forms.Field) -> list[str]:
    values = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):  # an optgroup
            values.extend(str(v) for v, _label in label)
        else:
            values.append(str(getattr(value, "value", value)))
    return values


def plausible_value(field: forms.Field, *, row_ids: list[str] | None = None):
    """Return a strategy of values a real user would submit for ``field``.

    ``row_ids`` are the ids a model choice field offers (read beforehand, so
    that drawing does not query the database).
    """
    if isinstance(field, forms.ModelMultipleChoiceField):
        return st.lists(st.sampled_from(row_ids or [""]), max_size=3, unique=True)
    if isinstance(field, forms.ModelChoiceField):
        return st.sampled_from(row_ids or [""])
    if isinstance(field, forms.MultipleChoiceField):
        return st.lists(st.sampled_from(_choice_values(field) or [""]), max_size=3)
    if isinstance(field, forms.ChoiceField):
        return st.sampled_from(_choice_values(field) or [""])
    if isinstance(field, forms.BooleanField | forms.NullBooleanField):
        return st.sampled_from(("on", "", "true", "false", "1", "0"))
    if isinstance(field, forms.EmailField):
        return st.emails().filter(lambda e: len(e) <= 200)
    if isinstance(field, forms.DateTimeField):
        return st.datetimes(
            min_value=datetime(1901, 1, 1), max_value=datetime(2099, 1, 1)
        ).map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S"))
    if isinstance(field, forms.DateField):
        return st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 1, 1)).map(
            lambda d: d.isoformat()
        )
    if isinstance(field, forms.DecimalField):
        return st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False).map(
            str
        )
    if isinstance(field, forms.IntegerField):
        low = field.min_value if field.min_value is not None else -1000
        high = field.max_value if field.max_value is not None else 100000
        return st.integers(min_value=low, max_value=high).map(str)
    if isinstance(field, forms.URLField):
        return st.sampled_from(("https://example.com/", "/kingadmin/", ""))
    if isinstance(field, forms.FileField):
        return st.just("")
    max_length = getattr(field, "max_length", None) or 200
    return st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        min_size=1,
        max_size=min(max_length, 60),
    )


def field_value(field: forms.Field, *, row_ids: list[str] | None = None):
    """Return a strategy of POST values for ``field``: plausible or hostile.

    Multi-valued fields get lists mixing real ids with hostile ones.
    """
    plausible = plausible_value(field, row_ids=row_ids)
    if isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        mixed = st.lists(
            st.one_of(st.sampled_from(row_ids or [""]), hostile_ids, hostile_text),
            min_size=1,
            max_size=4,
        )
        return st.one_of(plausible, mixed)
    if isinstance(field, forms.ModelChoiceField | forms.IntegerField):
        return st.one_of(plausible, hostile_ids, hostile_text)
    return st.one_of(plausible, hostile_text)


def row_ids_for(field: forms.Field, limit: int = 20) -> list[str]:
    """Return the ids a model choice field offers, read from the database."""
    if not isinstance(field, forms.ModelChoiceField):
        return []
    key = field.to_field_name or "pk"
    rows = field.queryset.order_by(key).values_list(key, flat=True)[:limit]
    return [str(value) for value in rows]


def field_strategies(form: forms.BaseForm) -> dict[str, st.SearchStrategy]:
    """Return a strategy of POST values for each field of ``form``, by key.

    The ids model choice fields offer are read now, not while drawing.
    """
    return {
        form.add_prefix(name): field_value(field, row_ids=row_ids_for(field))
        for name, field in form.fields.items()
    }


def initial_data(form: forms.BaseForm) -> dict[str, object]:
    """Return what the browser posts for ``form`` when the user changes nothing."""
    data: dict[str, object] = {}
    for bound in form:
        value = bound.value()
        if isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(bound.field, forms.FileField):
            continue
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        elif value is None:
            data[bound.html_name] = ""
        elif isinstance(bound.field, forms.DateField | forms.DateTimeField):
            data[bound.html_name] = str(bound.field.widget.format_value(value))
        else:
            data[bound.html_name] = str(value)
    return data


def post_data(
    form: forms.BaseForm,
    *,
    keep: dict | None = None,
    base: dict | None = None,
):
    """Return a strategy of POST data for ``form``.

    Either every field is drawn (plausible, hostile or missing, as if the
    browser, or a script, did not send it), or, when a valid ``base`` is
    given, up to three of its values are replaced or dropped, so that many
    submissions are valid or nearly so. Now and then an undeclared field
    rides along. ``keep`` holds values always posted as they are (e.g. a
    save button).
    """
    fields = field_strategies(form)
    extra = st.dictionaries(random_names, hostile_text, max_size=2)
    free = st.fixed_dictionaries({}, optional=fields)
    choices = [free]
    if base is not None and fields:
        choices.append(mutations(base, fields))
    return st.builds(
        lambda declared, undeclared: {**undeclared, **declared, **(keep or {})},
        st.one_of(*choices),
        extra,
    )


def mutations(base: dict, fields: dict[str, st.SearchStrategy]):
    """Return a strategy of ``base`` with up to three values replaced or dropped.

    ``fields`` gives the strategy of each replaceable key; the base itself
    (nothing replaced) is one of the examples.
    """
    names = sorted(fields)

    @st.composite
    def mutate(draw):
        data = dict(base)
        for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
            if draw(st.booleans()) and name in data:
                del data[name]
            else:
                data[name] = draw(fields[name])
        return data

    return mutate()


# ------------------------------------------------------------ particular data
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _with_check_character(body: str) -> str:
    total = sum(
        int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True)
    )
    return body + "10X98765432"[total % 11]


#: Valid PRC ID numbers (GB 11643-1999) of adults, so a form can succeed.
prc_id_numbers = st.builds(
    lambda region, born, seq: _with_check_character(f"{region}{born:%Y%m%d}{seq:03d}"),
    st.sampled_from(("110101", "310104", "440305")),
    st.dates(min_value=date(1950, 1, 1), max_value=date(2005, 1, 1)),
    st.integers(min_value=0, max_value=999),
)

PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
file_names = st.one_of(
    st.sampled_from(
        (
            "homework.py",
            "id-front.png",
            "scan.pdf",
            "../../etc/passwd",
            "a\x00b.py",
            "x" * 300 + ".py",
            ".htaccess",
            "photo.png.exe",
            "作业.py",
            "CON",
            "",
        )
    ),
    st.text(max_size=30),
)
file_contents = st.one_of(
    st.sampled_from(
        (b"", PNG_BYTES, b"%PDF-1.4\n%%EOF\n", b"print('hi')\n", b"\x00" * 64)
    ),
    st.binary(max_size=200),
)
content_types = st.sampled_from(
    ("application/octet-stream", "image/png", "text/plain", "", "x/\x00")
)


class _PostedFile(io.BytesIO):
    """A file for the test client with any name and type a browser may send.

    Django's own SimpleUploadedFile refuses some names ("", ".."), which a
    hand-made request can still carry.
    """

    def __init__(self, name: str, content: bytes, content_type: str):
        super().__init__(content)
        self.name = name
        self.content_type = content_type


uploads = st.builds(_PostedFile, file_names, file_contents, content_types)
