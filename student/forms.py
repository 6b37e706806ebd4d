"""Forms of the student portal (writes go through student.services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import ClassList
from student.homework_files import KINDS, TEXT_EXTENSIONS
from student.models import Question

# A hint for the browser's file picker only; the server checks the content.
HOMEWORK_ACCEPT = ",".join(
    sorted({ext for ext, _type in KINDS.values()} | TEXT_EXTENSIONS | {".jpeg"})
)


class HomeworkForm(forms.Form):
    file = forms.FileField(
        label=_("Homework file"),
        widget=forms.ClearableFileInput(attrs={"accept": HOMEWORK_ACCEPT}),
    )


class QuestionForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=Question._meta.get_field("title").max_length
    )
    body = forms.CharField(
        label=_("Your question"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    class_list = forms.ModelChoiceField(
        label=_("Class"),
        queryset=ClassList.objects.none(),
        required=False,
        empty_label=_("(no particular class)"),
    )

    def __init__(self, *args, class_lists=None, **kwargs):
        super().__init__(*args, **kwargs)
        if class_lists is not None:
            self.fields["class_list"].queryset = class_lists


class AnswerForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
