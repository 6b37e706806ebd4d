"""The django-tasks / django-tasks-db labels the jobs list shows, for makemessages.

The libraries ship no Chinese catalogue. Their labels are lazy translations
of these exact strings, so listing them here puts them in the project's
catalogue (locale/), where Django finds them for the libraries too. Never
imported: makemessages reads the file.
"""

from django.utils.translation import gettext_noop, pgettext_lazy

LABELS = [
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("status"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
]

STATES = [
    pgettext_lazy("Task", "Ready"),
    pgettext_lazy("Task", "Running"),
    pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
]
