from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from student.selectors import enrollment_list_of_student


@require_GET
@login_required
@permission_required("student.use_student_portal", raise_exception=True)
def home(request: HttpRequest) -> HttpResponse:
    """Show the logged-in student's enrollments."""
    return render(
        request,
        "student/home.html",
        {"enrollments": enrollment_list_of_student(user=request.user)},
    )
