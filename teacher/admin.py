from django.contrib import admin

from teacher.models import CourseRecord, StudyRecord


@admin.register(CourseRecord)
class CourseRecordAdmin(admin.ModelAdmin):
    list_display = ("class_list", "lesson_number", "title", "teacher", "date")
    list_filter = ("class_list",)
    list_select_related = ("class_list__course", "teacher")
    search_fields = ("title",)


@admin.register(StudyRecord)
class StudyRecordAdmin(admin.ModelAdmin):
    list_display = (
        "enrollment",
        "course_record",
        "attendance",
        "score",
        "submitted_at",
    )
    list_filter = ("attendance", "score")
    list_select_related = (
        "enrollment__customer",
        "course_record__class_list__course",
    )
    raw_id_fields = ("enrollment", "course_record", "graded_by")
