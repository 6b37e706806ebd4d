"""Public lead forms (crm.capture, crm.capture_views): new leads, returning ones."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from accounts.models import Notification
from crm.capture import lead_form_submit
from crm.models import (
    AssignmentRule,
    Customer,
    CustomerFollowUp,
    LeadForm,
    LeadSubmission,
)
from crm.search import customer_search_q
from tests.factories import (
    BranchFactory,
    CourseFactory,
    CustomerFactory,
    FollowUpFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

THANKS = "谢谢！我们的课程顾问会在 24 小时内联系您。"


def _sales(name, campus=None):
    role = RoleFactory(
        permissions=Permission.objects.filter(codename="view_own_customers")
    )
    return UserFactory(username=name, display_name=name, campus=campus, roles=[role])


@pytest.fixture
def campus():
    return BranchFactory(name="上海校区")


@pytest.fixture
def course():
    return CourseFactory(name="Python 全栈")


@pytest.fixture
def stand_in(campus):
    return _sales("front_desk", campus)


@pytest.fixture
def lead_form(campus, course, stand_in):
    return LeadForm.objects.create(
        name="百度推广·Python全栈 2026冬",
        title="免费试听 Python 全栈",
        fields=["name", "notes"],
        source=Customer.Source.BAIDU_ADS,
        campus=campus,
        course=course,
        owner=stand_in,
        thank_you=THANKS,
        created_by=UserFactory(),
    )


def url(lead_form):
    return f"/f/{lead_form.token}/"


def ticket(client, lead_form, query=""):
    page = client.get(url(lead_form) + query)
    assert page.status_code == 200
    return re.search(r'name="ticket" value="([^"]+)"', page.content.decode())[1]


def post(client, lead_form, **data):
    data.setdefault("ticket", ticket(client, lead_form))
    return client.post(url(lead_form), data)


def test_new_lead_goes_to_the_rule_member_with_the_form_source_and_course(
    client, lead_form, campus, course, stand_in
):
    member = _sales("sales_c", campus)
    rule = AssignmentRule.objects.create(name="上海", campus=campus)
    rule.members.set([member])

    response = post(
        client, lead_form, name="韩梅梅", phone="138-0013-8000", notes="周末班？"
    )

    assert response.status_code == 302
    assert response["Location"] == f"/f/{lead_form.token}/thanks/"
    customer = Customer.objects.get()
    assert (customer.name, customer.phone, customer.qq) == (
        "韩梅梅",
        "13800138000",
        None,
    )
    assert customer.consultant == member
    assert not customer.unassigned
    assert customer.source == Customer.Source.BAIDU_ADS
    assert customer.consult_course == course
    assert customer.notes == "周末班？"
    submission = LeadSubmission.objects.get()
    assert (submission.form, submission.customer, submission.outcome) == (
        lead_form,
        customer,
        LeadSubmission.Outcome.NEW,
    )
    told = Notification.objects.get(recipient=member)
    assert "韩梅梅" in told.text and lead_form.name in told.text
    # Found by the name search like any lead entered by hand.
    assert list(Customer.objects.filter(customer_search_q("梅梅"))) == [customer]
    thanks = client.get(response["Location"])
    assert THANKS in thanks.content.decode()


def test_without_a_rule_the_form_owner_gets_the_lead(client, lead_form, stand_in):
    post(client, lead_form, name="李雷", qq="52013140")
    customer = Customer.objects.get()
    assert customer.consultant == stand_in
    assert not customer.unassigned
    assert customer.qq == "52013140"


def test_when_every_member_is_full_the_owner_holds_it_flagged_unassigned(
    client, lead_form, campus, stand_in, settings
):
    settings.CRM_PRIVATE_POOL_CAP = 1
    member = _sales("sales_c", campus)
    CustomerFactory(consultant=member)
    manager = UserFactory(username="boss")
    rule = AssignmentRule.objects.create(name="上海", campus=campus, manager=manager)
    rule.members.set([member])

    post(client, lead_form, name="王芳", phone="13900001111")

    customer = Customer.objects.get(phone="13900001111")
    assert customer.consultant == stand_in
    assert customer.unassigned
    assert Notification.objects.filter(recipient=manager).exists()


def _existing(**fields):
    owner = UserFactory(username="sales_a", display_name="销售A")
    customer = CustomerFactory(name="张伟", consultant=owner, **fields)
    FollowUpFactory(
        customer=customer, intention=CustomerFollowUp.Intention.WITHIN_2_WEEKS
    )
    return customer


@pytest.mark.parametrize(
    "typed",
    [
        {"phone": "+86 138 0013 8000"},
        # A mobile number typed where the QQ goes.
        {"qq": "13800138000"},
        {"phone": "", "qq": "138-0013-8000"},
    ],
)
def test_a_known_phone_becomes_a_follow_up_and_the_page_is_the_same(
    client, lead_form, typed
):
    existing = _existing(phone="13800138000", qq="52013140")
    before = Customer.objects.values().get(pk=existing.pk)
    new_visitor = post(Client(), lead_form, name="新人", phone="13911112222")

    again = post(client, lead_form, name="张小伟", notes="还想了解晚班", **typed)

    # Whoever the visitor is, the answer is the same.
    assert again.status_code == new_visitor.status_code == 302
    assert again["Location"] == new_visitor["Location"]
    assert (
        client.get(again["Location"]).content
        == Client().get(new_visitor["Location"]).content
    )
    assert Customer.objects.count() == 2
    assert Customer.objects.values().get(pk=existing.pk) == before
    followup = existing.followups.order_by("-pk").first()
    assert lead_form.name in followup.content
    assert "还想了解晚班" in followup.content and "张小伟" in followup.content
    assert followup.consultant == existing.consultant
    assert followup.intention == CustomerFollowUp.Intention.WITHIN_2_WEEKS
    submission = LeadSubmission.objects.get(customer=existing)
    assert submission.outcome == LeadSubmission.Outcome.AGAIN
    told = Notification.objects.get(recipient=existing.consultant)
    assert "张伟" in told.text and lead_form.name in told.text
    assert told.link == f"/crm/customers/{existing.pk}/"


def test_a_qq_typed_in_the_phone_box_finds_the_lead_by_its_qq(client, lead_form):
    existing = _existing(qq="52013140", phone=None)
    post(client, lead_form, name="张伟", phone="52013140")
    assert Customer.objects.get() == existing
    assert LeadSubmission.objects.get().outcome == LeadSubmission.Outcome.AGAIN


def test_a_qq_typed_in_the_phone_box_is_stored_as_the_qq(client, lead_form):
    post(client, lead_form, name="刘洋", phone="52013140")
    customer = Customer.objects.get()
    assert (customer.qq, customer.phone) == ("52013140", None)


def test_a_known_number_of_a_public_pool_lead_tells_its_last_owner(lead_form):
    existing = _existing(phone="13800138000")
    Customer.objects.filter(pk=existing.pk).update(
        pool="public", pooled_at=timezone.now()
    )
    lead_form_submit(form=lead_form, data={"phone": "13800138000"}, utm={}, referrer="")
    assert Notification.objects.filter(recipient=existing.consultant).count() == 1


def test_the_honeypot_gets_the_thank_you_page_and_stores_nothing(client, lead_form):
    response = post(client, lead_form, name="bot", phone="13800138000", website="x")
    assert response.status_code == 302
    assert response["Location"] == f"/f/{lead_form.token}/thanks/"
    assert not Customer.objects.exists()
    assert not LeadSubmission.objects.exists()


def test_the_honeypot_is_hidden_from_people(client, lead_form):
    html = client.get(url(lead_form)).content.decode()
    field = re.search(r'<input[^>]*name="website"[^>]*>', html)[0]
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field
    assert re.search(r'<div class="visually-hidden" aria-hidden="true">\s*<label', html)


def test_too_many_posts_from_one_address_are_asked_to_slow_down(
    client, lead_form, settings
):
    settings.CRM_LEAD_FORM_RATE_LIMIT = 2
    for n in range(2):
        assert post(client, lead_form, name="x", phone=f"1390000000{n}").status_code
    response = post(client, lead_form, name="x", phone="13900000009")
    assert response.status_code == 429
    assert "slow down" in response.content.decode()
    assert not Customer.objects.filter(phone="13900000009").exists()
    assert Customer.objects.count() == 2
    # Another address is not held back.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert post(other, lead_form, name="y", phone="13900000008").status_code == 302


def test_utm_tags_of_the_link_are_recorded_and_truncated(client, lead_form):
    long = "夏" * 300
    query = (
        f"?utm_source=baidu&utm_medium=cpc&utm_campaign={long}"
        "&utm_term=python&utm_content=banner&utm_other=x"
    )
    page = client.get(url(lead_form) + query).content.decode()
    assert 'name="utm_source" value="baidu"' in page
    assert "utm_other" not in page
    hidden = dict(re.findall(r'name="(utm_\w+|ticket)" value="([^"]*)"', page))
    client.post(url(lead_form), {**hidden, "name": "x", "phone": "13800138000"})
    submission = LeadSubmission.objects.get()
    assert submission.utm_source == "baidu"
    assert submission.utm_medium == "cpc"
    assert submission.utm_campaign == "夏" * 128
    assert submission.utm_term == "python"
    assert submission.utm_content == "banner"


def test_the_referring_page_of_the_landing_is_kept(client, lead_form):
    page = client.get(url(lead_form), HTTP_REFERER="https://ads.example.com/python")
    html = page.content.decode()
    assert 'name="ref" value="https://ads.example.com/python"' in html
    post(
        client,
        lead_form,
        name="x",
        phone="13800138000",
        ref="https://ads.example.com/python",
    )
    assert LeadSubmission.objects.get().referrer == "https://ads.example.com/python"


def test_a_bad_number_is_refused_with_a_message_and_nothing_stored(client, lead_form):
    response = post(client, lead_form, name="x", phone="0123")
    assert response.status_code == 200
    assert "valid phone number" in response.content.decode()
    response = post(client, lead_form, name="x")
    assert "phone number or a QQ number" in response.content.decode()
    assert not Customer.objects.exists()
    assert not LeadSubmission.objects.exists()


def test_the_name_is_required_when_the_form_asks_for_it(client, lead_form):
    response = post(client, lead_form, phone="13800138000")
    assert response.status_code == 200
    assert not Customer.objects.exists()


def test_a_form_not_asking_for_the_e_mail_does_not_show_it(client, lead_form):
    html = client.get(url(lead_form)).content.decode()
    assert 'name="name"' in html and 'name="notes"' in html
    assert 'name="email"' not in html
    assert 'name="phone"' in html and 'name="qq"' in html


@pytest.mark.parametrize("path", ["", "thanks/"])
def test_an_inactive_or_unknown_form_is_not_found(client, lead_form, path):
    LeadForm.objects.filter(pk=lead_form.pk).update(is_active=False)
    assert client.get(f"/f/{lead_form.token}/{path}").status_code == 404
    assert client.get(f"/f/no-such-form/{path}").status_code == 404
    assert client.get(f"/f/{'x' * 200}/{path}").status_code == 404
    assert (
        client.post(f"/f/{lead_form.token}/", {"phone": "13800138000"}).status_code
        == 404
    )
    assert not Customer.objects.exists()


def _frame_ancestors(response):
    header = response["Content-Security-Policy"]
    for part in header.split(";"):
        name, *sources = part.split()
        if name == "frame-ancestors":
            return sources
    return None


def test_the_form_pages_may_be_framed_and_the_rest_of_the_site_may_not(
    client, lead_form
):
    form_page = client.get(url(lead_form))
    thanks = client.get(f"/f/{lead_form.token}/thanks/")
    for response in (form_page, thanks):
        assert "X-Frame-Options" not in response
        assert _frame_ancestors(response) == ["*"]
        # The rest of the policy stays.
        assert "script-src 'self'" in response["Content-Security-Policy"]
    login = client.get("/accounts/login/")
    assert login["X-Frame-Options"] == "DENY"
    assert _frame_ancestors(login) == ["'none'"]
    enroll = client.get("/enroll/no-such-token/")
    assert enroll["X-Frame-Options"] == "DENY"


def test_the_sites_that_may_frame_the_form_are_a_setting(client, lead_form, settings):
    settings.CRM_LEAD_FORM_FRAME_ANCESTORS = ["https://www.example-school.cn"]
    response = client.get(url(lead_form))
    assert _frame_ancestors(response) == ["https://www.example-school.cn"]
    settings.CRM_LEAD_FORM_FRAME_ANCESTORS = []
    assert _frame_ancestors(client.get(url(lead_form))) is None


def test_a_post_needs_the_ticket_of_its_page_not_a_cookie(lead_form):
    client = Client(enforce_csrf_checks=True)
    # No ticket: refused with a message, nothing stored.
    response = client.post(url(lead_form), {"name": "x", "phone": "13800138000"})
    assert response.status_code == 400
    assert "open too long" in response.content.decode()
    # A ticket of another form does not do.
    other = LeadForm.objects.create(
        name="其他",
        source="website",
        campus=lead_form.campus,
        owner=lead_form.owner,
        thank_you="谢谢",
        created_by=lead_form.created_by,
    )
    response = client.post(
        url(lead_form),
        {"name": "x", "phone": "13800138000", "ticket": ticket(client, other)},
    )
    assert response.status_code == 400
    assert not Customer.objects.exists()
    # Inside another site's frame the browser sends no cookie: the page's
    # ticket is enough.
    client.cookies.clear()
    good = ticket(client, lead_form)
    client.cookies.clear()
    response = client.post(
        url(lead_form),
        {"name": "x", "phone": "13800138000", "ticket": good},
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 302
    assert Customer.objects.count() == 1


def test_a_post_from_another_sites_page_is_refused(lead_form):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url(lead_form),
        {"name": "x", "phone": "13800138000", "ticket": ticket(client, lead_form)},
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    assert not Customer.objects.exists()
    assert not LeadSubmission.objects.exists()


def test_an_expired_ticket_asks_to_send_again_and_keeps_what_was_typed(
    client, lead_form, settings
):
    from django.core import signing

    old = signing.TimestampSigner(salt="crm.capture.ticket")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("time.time", lambda: 1_000_000_000)
        stale = old.sign(lead_form.token)
    response = client.post(
        url(lead_form), {"name": "韩梅梅", "phone": "13800138000", "ticket": stale}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "open too long" in html and 'value="韩梅梅"' in html
    assert not Customer.objects.exists()


def test_a_submission_costs_the_same_queries_however_many_leads_exist(
    lead_form, campus, django_assert_max_num_queries
):
    member = _sales("sales_c", campus)
    rule = AssignmentRule.objects.create(name="上海", campus=campus)
    rule.members.set([member])

    def submit(phone):
        lead_form_submit(
            form=lead_form,
            data={"name": "x", "phone": phone},
            utm={"utm_source": "baidu"},
            referrer="",
        )

    submit("13800000000")
    with django_assert_max_num_queries(22) as few:
        submit("13800000001")
    CustomerFactory.create_batch(30, consultant=member)
    with django_assert_max_num_queries(len(few.captured_queries)):
        submit("13800000002")
    with django_assert_max_num_queries(13) as again:
        submit("13800000001")
    FollowUpFactory.create_batch(10, customer=Customer.objects.get(phone="13800000001"))
    with django_assert_max_num_queries(len(again.captured_queries)):
        submit("13800000001")


# ------------------------------------------------------------------ kingadmin

LIST = "/kingadmin/crm/leadform/"


def test_the_manager_lists_the_forms_with_their_counts_and_links(
    demo, client, django_assert_max_num_queries
):
    client.force_login(demo["manager"])
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    baidu = LeadForm.objects.get(name="百度推广·Python全栈 2026冬")
    assert baidu.name in html
    assert f'href="/f/{baidu.token}/"' in html
    counts = {row.obj.pk: row.obj.submission_total for row in response.context["rows"]}
    assert counts[baidu.pk] == baidu.submissions.count() == 3
    with django_assert_max_num_queries(60) as before:
        client.get(LIST)
    for n in range(8):
        form = LeadForm.objects.create(
            name=f"活动 {n}",
            source="website",
            campus=baidu.campus,
            owner=baidu.owner,
            thank_you="谢谢",
            created_by=demo["manager"],
        )
        lead_form_submit(
            form=form, data={"phone": f"1370000200{n}"}, utm={}, referrer=""
        )
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(LIST)


def test_the_change_page_shows_the_link_and_the_embed_code_as_text(demo, client):
    client.force_login(demo["manager"])
    form = LeadForm.objects.get(name="百度推广·Python全栈 2026冬")
    html = client.get(f"{LIST}{form.pk}/change/").content.decode()
    assert f'value="http://testserver/f/{form.token}/"' in html
    assert f"&lt;iframe src=&quot;http://testserver/f/{form.token}/&quot;" in html
    assert "<iframe" not in html
    assert 'data-copy-target="lead-form-snippet"' in html


def test_the_manager_creates_a_form_picking_its_fields_as_checkboxes(demo, client):
    client.force_login(demo["manager"])
    page = client.get(f"{LIST}add/").content.decode()
    assert 'type="checkbox" class="form-check-input" name="fields" value="email"' in (
        page
    )
    assert (
        'value="phone"' not in page.split('name="fields"', 1)[1].split("</fieldset")[0]
    )
    baidu = LeadForm.objects.get(name="百度推广·Python全栈 2026冬")
    response = client.post(
        f"{LIST}add/",
        {
            "name": "抖音·Python 2027 春",
            "title": "",
            "intro": "",
            "fields": ["email", "name"],
            "source": "marketing",
            "campus": baidu.campus_id,
            "course": "",
            "owner": demo["sales_c"].pk,
            "thank_you": "谢谢！",
            "is_active": "on",
            "_save": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = LeadForm.objects.get(name="抖音·Python 2027 春")
    assert created.fields == ["name", "email"]
    assert created.created_by == demo["manager"]
    assert len(created.token) >= 16


def test_sales_may_not_open_the_lead_forms(demo, client):
    client.force_login(demo["sales_a"])
    assert client.get(LIST).status_code == 403
    assert client.get("/kingadmin/crm/leadsubmission/").status_code == 403


def test_the_customer_page_shows_the_forms_the_lead_came_through(demo, client):
    submission = LeadSubmission.objects.filter(outcome="again").select_related(
        "customer__consultant", "form"
    )[0]
    customer = submission.customer
    client.force_login(customer.consultant)
    html = client.get(f"/crm/customers/{customer.pk}/").content.decode()
    assert 'data-testid="lead-submissions"' in html
    assert submission.form.name in html
    assert "utm_campaign: winter_2026" in html
    assert "Came again" in html
