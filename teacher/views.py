from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teacher.selectors import class_list_taught_by


@require_GET
@login_required
@permission_required("teacher.use_teacher_portal", raise_exception=True)
def class_list(request: HttpRequest) -> HttpResponse:
    """List the classes the logged-in teacher teaches."""
    return render(
        request,
        "teacher/class_list.html",
        {"classes": class_list_taught_by(teacher=request.user)},
    )
