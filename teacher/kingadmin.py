"""Lessons and study records in kingadmin."""

import kingadmin
from teacher.models import CourseRecord, StudyRecord


@kingadmin.register(CourseRecord)
class CourseRecordAdmin(kingadmin.ModelAdmin):
    list_display = (
        "class_list",
        "lesson_number",
        "title",
        "teacher",
        "date",
        "has_homework",
    )
    list_filter = ("class_list", "has_homework", "date")
    search_fields = ("title", "content")
    list_select_related = ("class_list__course", "teacher")
    current_user_fields = ("teacher",)


@kingadmin.register(StudyRecord)
class StudyRecordAdmin(kingadmin.ModelAdmin):
    list_display = (
        "enrollment",
        "course_record",
        "attendance",
        "score",
        "submitted_at",
    )
    list_filter = ("attendance", "score")
    list_select_related = ("enrollment__customer", "course_record__class_list__course")
    # Grading (which records who graded) is the teacher portal's; here only
    # the attendance can be corrected.
    readonly_fields = (
        "enrollment",
        "course_record",
        "score",
        "teacher_comment",
        "homework_file",
        "homework_original_name",
        "submitted_at",
        "graded_by",
        "graded_at",
    )
