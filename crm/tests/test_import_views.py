"""The pages of a lead import: upload, columns, preview, choose, commit, revert."""

import io
import re
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from crm.import_preview import HEADERS
from crm.import_views import TEMPLATE_HEADERS
from crm.models import Customer, LeadImport
from kingadmin.permissions import registry
from tests.factories import CustomerFactory, FollowUpFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "手机", "QQ", "来源", "备注"]


def _permissions(*perms):
    found = []
    for perm in perms:
        app_label, codename = perm.split(".")
        found.append(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return found


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def sales():
    role = RoleFactory(
        name="plain sales", permissions=_permissions("crm.view_own_customers")
    )
    return UserFactory(username="seller", display_name="销售甲", roles=[role])


@pytest.fixture
def manager(sales):
    role = RoleFactory(
        name="importing managers",
        permissions=_permissions(
            "crm.import_leads", "crm.view_customer", "accounts.view_staff_users"
        ),
    )
    return UserFactory(username="boss", roles=[role])


@pytest.fixture
def client(manager):
    client = Client()
    client.force_login(manager)
    return client


def _xlsx(rows, header=HEADER, name="名单.xlsx") -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = name
    return data


def _file(content: bytes, name: str) -> io.BytesIO:
    data = io.BytesIO(content)
    data.name = name
    return data


def _upload(client, file, consultant, **extra):
    return client.post(
        reverse("crm:lead_import_new"),
        {
            "file": file,
            "consultant": consultant.pk,
            "default_source": "marketing",
            **extra,
        },
    )


@pytest.fixture
def existing(sales):
    return CustomerFactory(name="老王", phone="13900139000", consultant=sales)


ROWS = [
    ["张三", "13800138000", "", "百度推广", "想学 Python"],
    ["李四", "138-0013-8001", "", "", ""],
    ["老王的号", "13900139000", "", "", ""],
    ["坏号", "12345", "", "", ""],
    ["张三再来", "+86 138 0013 8000", "", "", ""],
    ["公式", "=1+1", "", "", ""],
]


def _started(client, sales, rows=ROWS) -> LeadImport:
    response = _upload(client, _xlsx(rows), sales)
    lead_import = LeadImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "crm:lead_import_columns", args=[lead_import.pk]
    )
    return lead_import


def test_the_whole_flow_upload_columns_preview_choose_commit_revert(
    client, manager, sales, existing, django_capture_on_commit_callbacks
):
    page = client.get(reverse("crm:lead_import_new"))
    assert page.status_code == 200
    # The owners offered: the sales, not the manager (who holds no own-leads rule).
    choices = page.context["form"].fields["consultant"].queryset
    assert list(choices) == [sales]
    lead_import = _started(client, sales)
    assert (lead_import.created_by, lead_import.consultant) == (manager, sales)

    columns = client.get(reverse("crm:lead_import_columns", args=[lead_import.pk]))
    html = columns.content.decode()
    # The header cells with a sample of the first row, preselected by the guess.
    assert "手机 (e.g. 13800138000)" in html
    form = columns.context["form"]
    assert form["phone"].value() == "1"
    assert form["email"].value() == ""
    mapping = {"name": "0", "phone": "1", "qq": "2", "source": "3", "notes": "4"}
    response = client.post(
        reverse("crm:lead_import_columns", args=[lead_import.pk]),
        {**mapping, "email": ""},
    )
    assert response["Location"] == reverse(
        "crm:lead_import_preview", args=[lead_import.pk]
    )
    lead_import.refresh_from_db()
    assert lead_import.mapping == {
        "name": 0,
        "phone": 1,
        "qq": 2,
        "source": 3,
        "notes": 4,
    }

    preview = client.get(reverse("crm:lead_import_preview", args=[lead_import.pk]))
    html = preview.content.decode()
    page = preview.context["page"]
    assert page.counts == {"new": 2, "duplicate": 2, "error": 2}
    assert page.chosen == 2
    assert re.search(r"duplicate of\s*<a href=\"/crm/customers/\d+/\">老王</a>", html)
    assert "(销售甲)" in html
    assert "duplicate of row 2" in html
    assert re.search(r"Phone: [^<]+", html)
    assert "Phone: A formula is not imported" in html
    assert 'data-testid="row-5"' in html  # the bad phone, with its row number
    assert "Import 2 leads" in html

    # Only the errors: the tab filters.
    errors = client.get(
        reverse("crm:lead_import_preview", args=[lead_import.pk]), {"status": "error"}
    )
    assert [row["number"] for row in errors.context["rows"]] == [5, 7]

    # Row 3 (李四) left out.
    response = client.post(
        reverse("crm:lead_import_choose", args=[lead_import.pk]), {"chosen": ["2"]}
    )
    assert response.status_code == 302
    lead_import.refresh_from_db()
    assert lead_import.skipped == [3]
    preview = client.get(reverse("crm:lead_import_preview", args=[lead_import.pk]))
    assert "Import 1 lead" in preview.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("crm:lead_import_commit", args=[lead_import.pk]))
    detail_url = reverse("crm:lead_import_detail", args=[lead_import.pk])
    assert response["Location"] == detail_url
    lead_import.refresh_from_db()
    assert lead_import.state == LeadImport.State.DONE
    made = Customer.objects.filter(lead_import=lead_import)
    assert [(c.name, c.phone, c.source, c.consultant) for c in made] == [
        ("张三", "13800138000", "baidu_ads", sales)
    ]
    log = client.get(detail_url)
    html = log.content.decode()
    assert 'data-testid="import-created">1<' in html
    assert 'data-testid="import-duplicates">2<' in html
    assert 'data-testid="import-errors">2<' in html
    assert f"/kingadmin/crm/customer/?lead_import={lead_import.pk}" in html
    leads = client.get("/kingadmin/crm/customer/", {"lead_import": lead_import.pk})
    assert "张三" in leads.content.decode()
    assert "老王" not in leads.content.decode()
    progress = client.get(reverse("crm:lead_import_progress", args=[lead_import.pk]))
    assert progress.json()["state"] == "done"

    response = client.post(
        reverse("crm:lead_import_revert", args=[lead_import.pk]), follow=True
    )
    assert "1 lead deleted, 0 kept because someone worked them." in (
        response.content.decode()
    )
    assert not Customer.objects.filter(lead_import=lead_import).exists()
    lead_import.refresh_from_db()
    assert (lead_import.state, lead_import.reverted_by) == ("reverted", manager)
    assert Customer.objects.filter(pk=existing.pk).exists()


def test_a_gbk_csv_is_read_and_a_worked_lead_is_kept_at_the_revert(
    client, sales, django_capture_on_commit_callbacks
):
    csv = "姓名,手机,QQ\n王五,13700137000,\n赵六,,123456789\n"
    response = _upload(client, _file(csv.encode("gbk"), "名单.csv"), sales)
    assert response.status_code == 302
    lead_import = LeadImport.objects.get()
    assert lead_import.encoding == "gb18030"
    preview = client.get(reverse("crm:lead_import_preview", args=[lead_import.pk]))
    assert "王五" in preview.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("crm:lead_import_commit", args=[lead_import.pk]))
    FollowUpFactory(customer=Customer.objects.get(name="赵六"))
    response = client.post(
        reverse("crm:lead_import_revert", args=[lead_import.pk]), follow=True
    )
    assert "1 lead deleted, 1 kept because someone worked them." in (
        response.content.decode()
    )
    assert list(Customer.objects.values_list("name", flat=True)) == ["赵六"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (bytes(range(256)) * 8, "garbage.xlsx", "is not an Excel (.xlsx) or CSV file"),
        (b"", "empty.csv", "empty"),
        (b"\x00\x01\x02binary\xff\xfe", "binary.csv", None),
    ],
)
def test_bad_uploads_give_the_form_back_with_the_message(
    client, sales, content, name, message
):
    response = _upload(client, _file(content, name), sales)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors
    if message:
        assert message in str(errors)
    assert not LeadImport.objects.exists()


def test_a_renamed_text_file_is_read_as_what_it_is(client, sales):
    # The content decides (crm.upload_checks): CSV text named .xlsx is CSV.
    response = _upload(client, _file(b"name,phone\nx,1\n", "renamed.xlsx"), sales)
    assert response.status_code == 302
    assert LeadImport.objects.get().kind == "text"


def test_a_file_over_the_limit_is_refused(client, sales, settings):
    settings.LEADS_IMPORT_MAX_BYTES = 1000
    response = _upload(client, _xlsx([["x", "13800138000"]] * 200), sales)
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert not LeadImport.objects.exists()


def test_the_owner_must_be_one_offered_and_the_source_known(client, manager, sales):
    response = _upload(client, _xlsx(ROWS), manager)
    assert "consultant" in response.context["form"].errors
    response = _upload(client, _xlsx(ROWS), sales, default_source="nope")
    assert "default_source" in response.context["form"].errors
    assert not LeadImport.objects.exists()


def test_a_formula_cell_is_an_error_never_run(client, sales):
    lead_import = _started(client, sales, rows=[["公式", "=13800138000+0"]])
    preview = client.get(reverse("crm:lead_import_preview", args=[lead_import.pk]))
    assert preview.context["page"].counts == {"new": 0, "duplicate": 0, "error": 1}
    assert "A formula is not imported" in preview.content.decode()


def test_the_columns_need_a_phone_or_a_qq_and_one_column_per_field(client, sales):
    lead_import = _started(client, sales)
    url = reverse("crm:lead_import_columns", args=[lead_import.pk])
    response = client.post(url, {"name": "0"})
    assert response.status_code == 200
    assert "phone number or of the QQ number" in response.content.decode()
    response = client.post(url, {"name": "1", "phone": "1"})
    assert "One column cannot fill two fields." in response.content.decode()
    response = client.post(url, {"phone": "99"})
    assert response.context["form"].errors["phone"]
    lead_import.refresh_from_db()
    assert lead_import.mapping["phone"] == 1


def test_a_sales_without_the_permission_gets_403(sales):
    client = Client()
    client.force_login(sales)
    for name in ("crm:lead_import_list", "crm:lead_import_new"):
        assert client.get(reverse(name)).status_code == 403
    assert _upload(client, _xlsx(ROWS), sales).status_code == 403
    assert not LeadImport.objects.exists()


def test_another_managers_import_is_403_and_a_missing_one_404(client, manager, sales):
    lead_import = _started(client, sales)
    other = UserFactory(username="other boss", roles=list(manager.roles.all()))
    client.force_login(other)
    for name in ("lead_import_detail", "lead_import_columns", "lead_import_preview"):
        url = reverse(f"crm:{name}", args=[lead_import.pk])
        assert client.get(url).status_code == 403
    for name in ("lead_import_choose", "lead_import_commit", "lead_import_revert"):
        url = reverse(f"crm:{name}", args=[lead_import.pk])
        assert client.post(url).status_code == 403
    assert client.get(reverse("crm:lead_import_detail", args=[999999])).status_code == (
        404
    )
    listing = client.get(reverse("crm:lead_import_list"))
    assert "名单.xlsx" not in listing.content.decode()
    # Nor does the customer list's import filter name it.
    leads = client.get("/kingadmin/crm/customer/", {"lead_import": lead_import.pk})
    assert "名单.xlsx" not in leads.content.decode()
    lead_import.refresh_from_db()
    assert lead_import.state == LeadImport.State.PREVIEWED
    # A superuser sees every import.
    root = UserFactory(username="root", is_superuser=True)
    client.force_login(root)
    assert (
        client.get(
            reverse("crm:lead_import_preview", args=[lead_import.pk])
        ).status_code
        == 200
    )
    assert "名单.xlsx" in client.get(reverse("crm:lead_import_list")).content.decode()


def test_csrf_is_enforced(manager, sales):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert _upload(client, _xlsx(ROWS), sales).status_code == 403
    assert not LeadImport.objects.exists()
    page = client.get(reverse("crm:lead_import_new"))
    token = str(page.context["csrf_token"])
    response = _upload(client, _xlsx(ROWS), sales, csrfmiddlewaretoken=token)
    assert response.status_code == 302
    lead_import = LeadImport.objects.get()
    commit = reverse("crm:lead_import_commit", args=[lead_import.pk])
    assert client.post(commit).status_code == 403
    lead_import.refresh_from_db()
    assert lead_import.state == LeadImport.State.PREVIEWED


def test_a_committed_import_cannot_be_chosen_mapped_or_committed_again(
    client, sales, django_capture_on_commit_callbacks
):
    lead_import = _started(client, sales)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("crm:lead_import_commit", args=[lead_import.pk]))
    detail = reverse("crm:lead_import_detail", args=[lead_import.pk])
    for name in ("lead_import_columns", "lead_import_preview"):
        url = reverse(f"crm:{name}", args=[lead_import.pk])
        assert client.get(url)["Location"] == detail
    response = client.post(
        reverse("crm:lead_import_commit", args=[lead_import.pk]), follow=True
    )
    assert "committed already" in response.content.decode()
    response = client.post(
        reverse("crm:lead_import_choose", args=[lead_import.pk]), {"chosen": []}
    )
    assert response["Location"] == detail
    lead_import.refresh_from_db()
    assert lead_import.skipped == []
    assert Customer.objects.filter(lead_import=lead_import).count() == 3


def test_choices_outside_the_page_are_refused(client, sales, existing):
    lead_import = _started(client, sales)
    url = reverse("crm:lead_import_choose", args=[lead_import.pk])
    for chosen in (["4"], ["99"], ["x"], ["２"]):
        response = client.post(url, {"chosen": chosen}, follow=True)
        assert "Choose among the rows shown." in response.content.decode()
    lead_import.refresh_from_db()
    assert lead_import.skipped == []


def test_the_list_shows_the_imports_newest_first(client, sales):
    first = _started(client, sales)
    _upload(client, _xlsx(ROWS, name="第二批.xlsx"), sales)
    response = client.get(reverse("crm:lead_import_list"))
    html = response.content.decode()
    assert html.index("第二批.xlsx") < html.index("名单.xlsx")
    assert reverse("crm:lead_import_detail", args=[first.pk]) in html
    assert reverse("crm:lead_import_new") in html


def test_the_template_has_the_recognised_headers(client):
    response = client.get(reverse("crm:lead_import_template"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    header = [cell.value for cell in next(book.active.iter_rows())]
    assert header == TEMPLATE_HEADERS == ["姓名", "手机", "QQ", "邮箱", "来源", "备注"]
    fields = ("name", "phone", "qq", "email", "source", "notes")
    assert all(h.lower() in HEADERS[f] for h, f in zip(header, fields, strict=True))


def _rows(n: int) -> list[list[str]]:
    return [[f"学员{i}", f"1380000{i:04d}", "", "", ""] for i in range(n)]


def test_the_preview_takes_a_constant_number_of_queries(
    client, sales, django_assert_max_num_queries
):
    small = _started(client, sales, rows=_rows(50))
    CustomerFactory.create_batch(5, consultant=sales)
    url = reverse("crm:lead_import_preview", args=[small.pk])
    client.get(url)
    with django_assert_max_num_queries(12) as captured:
        client.get(url)
    queries = len(captured.captured_queries)
    _upload(client, _xlsx(_rows(500)), sales)
    large = LeadImport.objects.latest("pk")
    # Make some of them duplicates of customers with owners.
    for i in range(0, 500, 50):
        CustomerFactory(phone=f"1380000{i:04d}", consultant=UserFactory())
    url = reverse("crm:lead_import_preview", args=[large.pk])
    client.get(url)
    with django_assert_max_num_queries(queries):
        response = client.get(url)
    assert response.context["page"].counts["duplicate"] == 10


def test_the_import_rule_is_registered():
    rule = registry.get("crm.import_leads")
    assert rule is not None
    from crm.urls import urlpatterns

    names = {f"crm:{p.name}" for p in urlpatterns if p.name.startswith("lead_import")}
    assert {route.url_name for route in rule.routes} == names


def _damaged_xlsx() -> bytes:
    """Return a workbook whose sheet is cut in the middle (its header intact)."""
    good = zipfile.ZipFile(_xlsx(ROWS))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as archive:
        for item in good.infolist():
            data = good.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            archive.writestr(item, data)
    return damaged.getvalue()


def test_a_workbook_damaged_past_its_header_says_so(
    client, sales, django_capture_on_commit_callbacks
):
    response = _upload(client, _file(_damaged_xlsx(), "坏了.xlsx"), sales)
    assert response.status_code == 302
    lead_import = LeadImport.objects.get()
    preview = client.get(reverse("crm:lead_import_preview", args=[lead_import.pk]))
    assert preview.status_code == 200
    assert "This workbook cannot be read" in preview.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("crm:lead_import_commit", args=[lead_import.pk]))
    log = client.get(reverse("crm:lead_import_detail", args=[lead_import.pk]))
    assert "This workbook cannot be read" in log.content.decode()
    assert not Customer.objects.exists()
