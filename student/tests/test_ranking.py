"""The school's ranking rule (see student.selectors.class_rankings)."""

import pytest

from crm.models import Enrollment
from student.selectors import class_rankings
from student.tests.conftest import add_lesson
from tests.factories import ClassListFactory, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def klass():
    return ClassListFactory(teachers=[UserFactory()])


def enroll(klass, n):
    return [EnrollmentFactory(class_list=klass, approved=True) for _ in range(n)]


def test_higher_average_ranks_first_and_ties_share_a_rank(klass):
    a, b, c, d = enroll(klass, 4)
    add_lesson(klass, 1, {a: 90, b: 100, c: 80, d: 70})
    add_lesson(klass, 2, {a: 90, b: 80, c: 80, d: 70})
    ranking = class_rankings(class_list_ids=[klass.pk])[klass.pk]
    # a and b both average 90: 1, 1, then 3.
    assert [ranking.of(e.pk).rank for e in (a, b, c, d)] == [1, 1, 3, 4]
    assert ranking.of(a.pk).average == 90
    assert ranking.of(a.pk).total == 180
    assert ranking.ranked == 4
    assert ranking.class_average == pytest.approx((90 + 90 + 80 + 70) / 4)


def test_na_d_and_copy_count_with_their_numbers_ungraded_lessons_not_at_all(klass):
    honest, copier, failed, absent = enroll(klass, 4)
    add_lesson(klass, 1, {honest: 50, copier: 100, failed: 100, absent: 100})
    add_lesson(klass, 2, {honest: 50, copier: -100, failed: -50, absent: 0})
    add_lesson(klass, 3, {honest: None, copier: None, failed: None, absent: None})
    ranking = class_rankings(class_list_ids=[klass.pk])[klass.pk]
    assert ranking.of(absent.pk).average == 50  # N/A = 0
    assert ranking.of(honest.pk).average == 50
    assert ranking.of(failed.pk).average == 25  # D = -50
    assert ranking.of(copier.pk).average == 0  # COPY = -100
    assert ranking.of(honest.pk).graded == 2  # lesson 3 not graded: not counted
    assert [ranking.of(e.pk).rank for e in (honest, absent, failed, copier)] == [
        1,
        1,
        3,
        4,
    ]


def test_students_without_a_graded_lesson_are_not_ranked(klass):
    graded, new = enroll(klass, 2)
    add_lesson(klass, 1, {graded: 60, new: None})
    ranking = class_rankings(class_list_ids=[klass.pk])[klass.pk]
    assert ranking.of(new.pk).rank is None and ranking.of(new.pk).average is None
    assert ranking.ranked == 1


def test_classes_are_ranked_separately_and_only_enrolled_students_count(klass):
    other = ClassListFactory(teachers=[UserFactory()])
    (mine,) = enroll(klass, 1)
    (theirs,) = enroll(other, 1)
    left = EnrollmentFactory(class_list=klass, approved=True)
    add_lesson(klass, 1, {mine: 60, left: 100})
    add_lesson(other, 1, {theirs: 100})
    Enrollment.objects.filter(pk=left.pk).update(
        state=Enrollment.State.REJECTED, reject_reason="Left the school"
    )
    rankings = class_rankings(class_list_ids=[klass.pk, other.pk])
    assert rankings[klass.pk].of(mine.pk).rank == 1
    assert rankings[klass.pk].ranked == 1
    assert rankings[other.pk].of(theirs.pk).rank == 1


def test_ranking_is_one_query_whatever_the_size(klass, django_assert_num_queries):
    students = enroll(klass, 12)
    for number in range(1, 6):
        add_lesson(klass, number, {s: 40 + 5 * i for i, s in enumerate(students)})
    with django_assert_num_queries(1):
        ranking = class_rankings(class_list_ids=[klass.pk])[klass.pk]
    assert ranking.of(students[-1].pk).rank == 1
