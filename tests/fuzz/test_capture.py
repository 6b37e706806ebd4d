"""Fuzz the public lead form: a message or the thank-you page, never a 500.

Posts carry plausible or hostile values in every field (name, phone, QQ,
message, the UTM tags, the referring page), the page's ticket or anything
else, and now and then a filled-in honeypot. A refused post stores nothing;
an accepted one stores exactly one submission (a new lead or a follow-up);
the honeypot's stores nothing and still thanks.
"""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from accounts.models import Notification
from crm.capture import UTM_FIELDS
from crm.capture_forms import HONEYPOT, LeadCaptureForm
from crm.models import Customer, CustomerFollowUp, LeadForm, LeadSubmission
from tests.fuzz.strategies import hostile_text, post_data
from tests.fuzz.support import client_for, fuzz_settings, rolled_back
from tests.fuzz.test_forms import assert_shows_errors, count

MODELS = (Customer, CustomerFollowUp, LeadSubmission, Notification)


def test_public_lead_form(fuzz_db, settings):
    settings.CRM_LEAD_FORM_RATE_LIMIT = 10_000
    lead_form = LeadForm.objects.filter(is_active=True).order_by("pk").first()
    url = f"/f/{lead_form.token}/"
    page = client_for(None).get(url).content.decode()
    ticket = re.search(r'name="ticket" value="([^"]+)"', page)[1]
    form = LeadCaptureForm(lead_form=lead_form)
    base = {"name": "韩梅梅", "phone": "13711112222", "qq": "", "notes": "周末班"}
    extras = st.fixed_dictionaries(
        {"ticket": st.one_of(st.just(ticket), st.just(ticket), hostile_text)},
        optional={
            **dict.fromkeys(UTM_FIELDS, hostile_text),
            "ref": hostile_text,
            HONEYPOT: st.one_of(st.just("http://spam.example"), hostile_text),
        },
    )

    @fuzz_settings(40)
    @given(data=post_data(form, base=base), extra=extras)
    @example(data=base, extra={"ticket": ticket})
    @example(data={**base, "phone": "\x00"}, extra={"ticket": ticket})
    @example(data=base, extra={"ticket": ticket, "utm_source": "\x00" * 300})
    def run(data, extra):
        data = {**data, **extra}
        with rolled_back():
            before = dict(zip(MODELS, count(*MODELS), strict=True))
            response = client_for(None).post(url, data)
            assert response.status_code in (200, 302, 400)
            after = dict(zip(MODELS, count(*MODELS), strict=True))
            if response.status_code == 302:
                assert response["Location"] == f"/f/{lead_form.token}/thanks/"
                if data.get(HONEYPOT):
                    assert after == before
                else:
                    assert after[LeadSubmission] == before[LeadSubmission] + 1
                    submission = LeadSubmission.objects.order_by("-pk").first()
                    assert all(
                        len(getattr(submission, name)) <= 128 for name in UTM_FIELDS
                    )
                return
            assert after == before
            if response.status_code == 200:
                assert_shows_errors(response)

    run()
