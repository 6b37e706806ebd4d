"""Forms of the teacher portal.

The roll call and grading forms have fields per study record, named
``attendance-<id>``, ``score-<id>`` and ``comment-<id>``; a record whose
fields are not posted (a student added after the page was shown) is left
as it is.
"""

from collections.abc import Iterable, Iterator

from django import forms
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teacher.models import CourseRecord, StudyRecord
from teacher.services import GradedWithoutHomework


class CourseRecordForm(forms.ModelForm):
    """The lesson record form; the service checks the number and creates it."""

    class Meta:
        model = CourseRecord
        fields = [
            "lesson_number",
            "date",
            "title",
            "content",
            "has_homework",
            "homework_title",
            "homework_requirements",
        ]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "content": forms.Textarea(attrs={"rows": 4}),
            "homework_requirements": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, next_number: int, **kwargs):
        super().__init__(*args, **kwargs)
        number = self.fields["lesson_number"]
        number.required = False
        number.validators.append(MinValueValidator(1))
        number.widget.attrs["min"] = 1
        number.initial = next_number
        number.help_text = _("Leave empty for the next free number (%(number)s).") % {
            "number": next_number
        }
        self.fields["date"].initial = timezone.localdate

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("has_homework"):
            # Unticking "has homework" discards what was typed for it.
            cleaned["homework_title"] = ""
            cleaned["homework_requirements"] = ""
        elif not cleaned.get("homework_title", "").strip():
            self.add_error("homework_title", _("Give the homework a title."))
        return cleaned


class _PerRecordForm(forms.Form):
    """A form with fields per study record of a lesson."""

    def __init__(self, *args, records: Iterable[StudyRecord], **kwargs):
        super().__init__(*args, **kwargs)
        self.records = list(records)
        for record in self.records:
            self.add_record_fields(record)

    def add_record_fields(self, record: StudyRecord) -> None:
        raise NotImplementedError

    def _posted(self, record: StudyRecord, *prefixes: str) -> bool:
        return all(f"{prefix}-{record.pk}" in self.data for prefix in prefixes)


class SessionRecordForm(CourseRecordForm):
    """The record of a scheduled session: its number and date are the session's."""

    class Meta(CourseRecordForm.Meta):
        fields = [
            name
            for name in CourseRecordForm.Meta.fields
            if name not in ("lesson_number", "date")
        ]

    def __init__(self, *args, session, **kwargs):
        forms.ModelForm.__init__(self, *args, **kwargs)
        self.fields["title"].initial = session.topic


class RollCallForm(_PerRecordForm):
    """Radio buttons present / late / absent / left early per student.

    "Not enrolled yet" is offered only to a student whose record has it (a
    lesson held before they joined), so that it can be kept or corrected.
    """

    # A trial lead (timetable.TrialLesson): came or did not come.
    TRIAL_CHOICES = (("attended", _("Came")), ("absent", _("Did not come")))

    def __init__(self, *args, trials: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.trials = list(trials)
        for trial in self.trials:
            self.fields[f"trial-{trial.pk}"] = forms.ChoiceField(
                label=str(trial.customer),
                choices=self.TRIAL_CHOICES,
                initial=trial.state if trial.state != "booked" else None,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "btn-check"}),
            )

    def trial_rows(self) -> Iterator[tuple[object, forms.BoundField]]:
        for trial in self.trials:
            yield trial, self[f"trial-{trial.pk}"]

    def trial_attendance(self) -> dict[int, bool]:
        """Return the posted answer for each trial lead: trial id -> came."""
        return {
            trial.pk: self.cleaned_data[f"trial-{trial.pk}"] == "attended"
            for trial in self.trials
            if self.cleaned_data.get(f"trial-{trial.pk}")
        }

    def add_record_fields(self, record: StudyRecord) -> None:
        choices = StudyRecord.Attendance.choices
        if record.attendance != StudyRecord.Attendance.NOT_ENROLLED:
            choices = [
                (value, label)
                for value, label in choices
                if value != StudyRecord.Attendance.NOT_ENROLLED
            ]
        self.fields[f"attendance-{record.pk}"] = forms.ChoiceField(
            label=str(record.enrollment.customer),
            choices=choices,
            initial=record.attendance,
            required=False,
            widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        )

    def rows(self) -> Iterator[tuple[StudyRecord, forms.BoundField]]:
        for record in self.records:
            yield record, self[f"attendance-{record.pk}"]

    def attendance(self) -> dict[int, str]:
        """Return the posted state of each study record: id -> state."""
        return {
            record.pk: self.cleaned_data[f"attendance-{record.pk}"]
            for record in self.records
            if self._posted(record, "attendance")
            and self.cleaned_data[f"attendance-{record.pk}"]
        }


class GradingForm(_PerRecordForm):
    """A score and a comment per student.

    When the service refuses marks given to students who handed nothing in
    (``teacher.services.GradedWithoutHomework``), the form is shown again
    with those students named and a box to tick: posted ticked, with the
    ids it was shown for, it confirms those students only.
    """

    CONFIRM = "confirm_without_homework"
    CONFIRMED = "without_homework"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The students the confirmation box is shown for (set by the view).
        self.marked_without_homework: list[StudyRecord] = []
        self.fields[self.CONFIRM] = forms.BooleanField(
            label=_("Save these marks although nothing was handed in"),
            required=False,
        )
        self.fields[self.CONFIRMED] = forms.TypedMultipleChoiceField(
            choices=[(record.pk, record.pk) for record in self.records],
            coerce=int,
            required=False,
            widget=forms.MultipleHiddenInput,
        )

    def add_record_fields(self, record: StudyRecord) -> None:
        name = str(record.enrollment.customer)
        self.fields[f"score-{record.pk}"] = forms.TypedChoiceField(
            label=_("Score of %(student)s") % {"student": name},
            choices=[("", _("Not graded")), *StudyRecord.Score.choices],
            coerce=int,
            empty_value=None,
            required=False,
            initial=record.score,
            widget=forms.Select(attrs={"class": "form-select"}),
        )
        self.fields[f"comment-{record.pk}"] = forms.CharField(
            label=_("Comment for %(student)s") % {"student": name},
            required=False,
            initial=record.teacher_comment,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        )

    def rows(
        self,
    ) -> Iterator[tuple[StudyRecord, forms.BoundField, forms.BoundField]]:
        for record in self.records:
            yield record, self[f"score-{record.pk}"], self[f"comment-{record.pk}"]

    def grades(self) -> dict[int, tuple[int | None, str]]:
        """Return the posted grade of each study record: id -> (score, comment)."""
        return {
            record.pk: (
                self.cleaned_data[f"score-{record.pk}"],
                self.cleaned_data[f"comment-{record.pk}"],
            )
            for record in self.records
            if self._posted(record, "score", "comment")
        }

    def confirmed_without_homework(self) -> set[int]:
        """Return the ids of the records confirmed to be graded without homework."""
        if not self.cleaned_data[self.CONFIRM]:
            return set()
        return set(self.cleaned_data[self.CONFIRMED])

    def ask_to_confirm(self, error: GradedWithoutHomework) -> None:
        """Refuse the form, asking to confirm the marks ``error`` names."""
        self.marked_without_homework = error.records
        self.add_error(self.CONFIRM, error)
