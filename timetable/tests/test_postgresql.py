"""On PostgreSQL two bookings of one room at once cannot both succeed.

The service locks the room, teacher and class rows before it checks, so the
second booking waits for the first and sees it; and the exclusion
constraints refuse an overlap written past the service.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.concurrency import postgres_only, run_at_once
from timetable import services
from timetable.models import ClassSession
from timetable.tests.conftest import MONDAY, at

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_bookings_of_one_room_at_once_one_wins(campus):
    def book(class_list, teacher):
        return lambda: services.session_create(
            class_list=class_list,
            starts_at=at(MONDAY, 9),
            ends_at=at(MONDAY, 11),
            room=campus.room,
            teacher=teacher,
        )

    results = run_at_once(
        book(campus.klass, campus.teacher),
        book(campus.other_class, campus.other_teacher),
    )

    booked = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(booked) == 1 and len(refused) == 1, results
    assert "Room 101 is taken then by" in refused[0].messages[0]
    assert ClassSession.objects.filter(room=campus.room).count() == 1


def test_the_database_refuses_overlaps_written_past_the_service(campus):
    ClassSession.objects.create(
        class_list=campus.klass,
        starts_at=at(MONDAY, 9),
        ends_at=at(MONDAY, 11),
        room=campus.room,
        teacher=campus.teacher,
    )
    overlapping = {
        "starts_at": at(MONDAY, 10),
        "ends_at": at(MONDAY, 12),
    }
    for clash in (
        {"class_list": campus.other_class, "room": campus.room},
        {"class_list": campus.other_class, "teacher": campus.teacher},
        {"class_list": campus.klass},
    ):
        row = {"room": None, "teacher": campus.other_teacher, **overlapping, **clash}
        with pytest.raises(IntegrityError), transaction.atomic():
            ClassSession.objects.create(**row)

    # Touching ends and cancelled sessions are no overlap.
    ClassSession.objects.create(
        class_list=campus.klass,
        starts_at=at(MONDAY, 11),
        ends_at=at(MONDAY, 12),
        room=campus.room,
        teacher=campus.teacher,
    )
    ClassSession.objects.create(
        class_list=campus.other_class,
        starts_at=at(MONDAY, 9),
        ends_at=at(MONDAY, 11) + timedelta(minutes=30),
        room=campus.room,
        teacher=campus.teacher,
        status="cancelled",
    )
