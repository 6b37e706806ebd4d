"""The import preview: new, duplicate (of a customer or an earlier row), error."""

import pytest
from django.core.exceptions import ValidationError

from crm.import_preview import Status, columns_guess, import_preview
from crm.imports import FORMULA, Row
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "手机号码", "QQ", "邮箱", "来源", "备注", "其他"]


def rows(*data):
    yield Row(1, HEADER)
    for number, cells in enumerate(data, start=2):
        yield Row(number, cells)


def preview(*data):
    return list(
        import_preview(rows(*data), columns_guess(HEADER), default_source="other")
    )


def test_the_header_names_chinese_schools_use_are_recognised():
    assert columns_guess(HEADER) == {
        "name": 0,
        "phone": 1,
        "qq": 2,
        "email": 3,
        "source": 4,
        "notes": 5,
    }
    assert columns_guess(["Name", " PHONE ", FORMULA]) == {"name": 0, "phone": 1}


def test_each_row_is_new_a_duplicate_or_an_error_with_its_field():
    owner = UserFactory(username="sales_b", display_name="销售B")
    known = CustomerFactory(name="老客户", phone="13900139000", consultant=owner)
    found = preview(
        ["张三", "138 0013 8000", "", "zs@example.com", "百度推广", "展会", "x"],
        ["老客户", "+86 139-0013-9000", "", "", "", "", ""],
        ["张三二次", "", "", "", "", "", ""],
        ["李四", "12345", "0123", "not-mail", "电视", "", ""],
        ["王五", FORMULA, "", "", "", "", ""],
        ["张三又来", "13800138000", "", "", "", "", ""],
        ["赵六", "", "123456", "", "referral", "", ""],
    )
    summary = [(p.number, p.status) for p in found]
    assert summary == [
        (2, Status.NEW),
        (3, Status.DUPLICATE),
        (4, Status.ERROR),
        (5, Status.ERROR),
        (6, Status.ERROR),
        (7, Status.DUPLICATE),
        (8, Status.NEW),
    ]
    first, again, nothing, wrong, formula, twice, by_qq = found
    assert first.values["phone"] == "13800138000"
    assert first.values["source"] == "baidu_ads"  # the Chinese label
    assert again.duplicate_of == known and again.duplicate_of.consultant == owner
    assert nothing.errors == [("phone", "Enter a QQ number or a phone number.")]
    assert [name for name, _message in wrong.errors] == [
        "phone",
        "qq",
        "email",
        "source",
    ]
    assert formula.errors[0][0] == "phone"
    assert twice.duplicate_row == 2 and twice.duplicate_of is None
    assert by_qq.values["source"] == "referral"


def test_without_a_phone_or_qq_column_nothing_can_be_checked():
    with pytest.raises(ValidationError, match="phone number or of the QQ"):
        list(import_preview(rows(), {"name": 0}, default_source="other"))


def test_the_queries_do_not_grow_with_the_rows(django_assert_max_num_queries):
    CustomerFactory(phone="13900000005")
    many = [[f"人{n}", f"139{n:08d}", "", "", "", "", ""] for n in range(2500)]
    with django_assert_max_num_queries(3):  # one per thousand rows
        found = preview(*many)
    assert sum(p.status == Status.DUPLICATE for p in found) == 1
    assert sum(p.status == Status.NEW for p in found) == 2499
