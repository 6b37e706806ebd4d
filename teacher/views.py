from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kingadmin.decorators import rule_required
from teacher.selectors import class_list_taught_by


@require_GET
@rule_required
def class_list(request: HttpRequest) -> HttpResponse:
    """List the classes the logged-in teacher teaches."""
    return render(
        request,
        "teacher/class_list.html",
        {"classes": class_list_taught_by(teacher=request.user)},
    )
