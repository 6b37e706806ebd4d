"""Forms of the timetable: a schedule's pattern, a session's changes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from timetable.models import WEEKDAYS, ClassSession, Schedule


class ScheduleForm(forms.ModelForm):
    """A schedule, its weekdays as checkboxes."""

    weekdays = forms.MultipleChoiceField(
        label=_("Weekdays"),
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The days of the week the class meets."),
    )

    class Meta:
        model = Schedule
        fields = (
            "class_list",
            "weekdays",
            "start_time",
            "duration_minutes",
            "room",
            "teacher",
            "first_date",
            "last_date",
        )
        widgets = {
            "duration_minutes": forms.NumberInput(attrs={"min": 15, "max": 720}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "weekdays" in self.fields:
            self.initial["weekdays"] = list(self.instance.weekdays)

    def clean_weekdays(self) -> str:
        """Return the chosen weekdays as their digits, in order ("246")."""
        return "".join(sorted(set(self.cleaned_data["weekdays"])))

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_date"), cleaned.get("last_date")
        if first and last and last < first:
            self.add_error("last_date", _("The last date cannot be before the first."))
        return cleaned


class ClassSessionForm(forms.ModelForm):
    """A session; on its change page also: cancel it, and apply to the following."""

    cancel = forms.BooleanField(
        label=_("Cancel this session"),
        required=False,
        help_text=_("It stays listed as cancelled; students and teachers are told."),
    )
    following = forms.BooleanField(
        label=_("Also the following sessions"),
        required=False,
        help_text=_(
            "Apply the move, the teacher or the cancellation to every later "
            "session of the same schedule too."
        ),
    )

    class Meta:
        model = ClassSession
        fields = (
            "class_list",
            "starts_at",
            "ends_at",
            "room",
            "teacher",
            "topic",
            "cancel_reason",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # A new session: nothing follows it yet, nothing to cancel.
            self.fields.pop("cancel")
            self.fields.pop("following")
        if "cancel_reason" in self.fields:
            self.fields["cancel_reason"].required = False

    def clean(self):
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("A session must end after it starts."))
        if cleaned.get("cancel") and not (cleaned.get("cancel_reason") or "").strip():
            self.add_error("cancel_reason", _("Say why the session is cancelled."))
        return cleaned


class TrialBookForm(forms.Form):
    """Which upcoming session a lead tries (``timetable.trials``), with a note.

    ``sessions`` is the unsliced queryset a choice is checked against; only
    its first ``shown`` rows are offered, so the page stays small.
    """

    session = forms.ModelChoiceField(
        label=_("Session"), queryset=ClassSession.objects.none()
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, sessions, shown: int, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["session"]
        field.queryset = sessions
        field.widget.attrs["class"] = "form-select"
        self.fields["note"].widget.attrs["class"] = "form-control"
        self.offered = list(sessions[:shown])
        field.choices = [("", "---------")] + [
            (session.pk, self.session_label(session)) for session in self.offered
        ]

    @staticmethod
    def session_label(session: ClassSession) -> str:
        start = session.local_start
        parts = [str(session.class_list), start.strftime("%Y-%m-%d %H:%M")]
        if session.room is not None:
            parts.append(str(session.room))
        parts.append(str(session.teacher))
        return " · ".join(parts)
