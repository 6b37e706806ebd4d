from django.contrib import admin

from student.models import Answer, Question


class AnswerInline(admin.StackedInline):
    model = Answer
    extra = 0
    raw_id_fields = ("author",)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "class_list", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("author", "class_list__course")
    search_fields = ("title", "body")
    raw_id_fields = ("author",)
    inlines = [AnswerInline]


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ("question", "author", "created_at")
    list_select_related = ("question", "author")
    raw_id_fields = ("question", "author")
