"""Fuzz the trial lesson booking form: a booking or a message, never a 500.

Any session id, any note, any lead id: the booking is made only for an
upcoming session offered to the lead with a note that fits; anything else
says why on the lead's page and books nothing. Another sales' lead is a 403,
a lead that does not exist a 404.
"""

from __future__ import annotations

from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st

from crm.demo_data import PYTHON_S9
from crm.models import ClassList, Customer
from tests.fuzz.strategies import hostile_text
from tests.fuzz.support import client_for, fuzz_settings, rolled_back
from tests.fuzz.test_forms import count, ids_or_hostile, messages_of
from timetable.models import ClassSession, TrialLesson


def test_trial_booking_form(fuzz_db):
    sales = fuzz_db.users["sales_a"]
    lead = (
        Customer.objects.filter(consultant=sales, pool="private")
        .exclude(enrollments__state="approved")
        .order_by("pk")
        .first()
    )
    others = Customer.objects.exclude(consultant=sales).order_by("pk").first()
    coming = (
        ClassSession.objects.filter(
            class_list=ClassList.objects.get(name=PYTHON_S9),
            status="scheduled",
            starts_at__gt=timezone.now(),
        )
        .exclude(trial_lessons__customer=lead)
        .order_by("-starts_at")
        .first()
    )
    past = ClassSession.objects.filter(starts_at__lt=timezone.now()).first()
    sessions = st.one_of(
        hostile_text,
        st.sampled_from(["", str(coming.pk), str(past.pk), "0", "-1", "1e3"]),
    )

    @fuzz_settings(30)
    @given(
        session=sessions,
        note=hostile_text,
        pk=st.one_of(ids_or_hostile(lead.pk), st.just(str(others.pk))),
    )
    @example(session=str(coming.pk), note="周末有空", pk=str(lead.pk))
    @example(session=str(coming.pk), note="x" * 256, pk=str(lead.pk))
    @example(session=str(past.pk), note="", pk=str(lead.pk))
    def run(session, note, pk):
        with rolled_back():
            before = count(TrialLesson)
            response = client_for(sales).post(
                f"/crm/customers/{pk}/trials/", {"session": session, "note": note}
            )
            if pk == str(others.pk):
                assert response.status_code == 403
            elif pk != str(lead.pk):
                assert response.status_code == 404
            else:
                assert response.status_code == 302
                assert messages_of(response), "the page must say what happened"
                fits = len(note.strip()) <= 255 and "\x00" not in note
                if session == str(coming.pk) and fits:
                    assert count(TrialLesson)[0] == before[0] + 1
                    trial = TrialLesson.objects.get(customer=lead, session=coming)
                    assert (trial.state, trial.note) == ("booked", note.strip())
                    return
            assert count(TrialLesson) == before

    run()
