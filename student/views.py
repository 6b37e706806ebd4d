from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kingadmin.decorators import rule_required
from student.selectors import enrollment_list_of_student


@require_GET
@rule_required
def home(request: HttpRequest) -> HttpResponse:
    """Show the logged-in student's enrollments."""
    return render(
        request,
        "student/home.html",
        {"enrollments": enrollment_list_of_student(user=request.user)},
    )
