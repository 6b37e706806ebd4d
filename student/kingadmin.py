"""Questions and answers in kingadmin."""

import kingadmin
from student.models import Answer, Question


@kingadmin.register(Question)
class QuestionAdmin(kingadmin.ModelAdmin):
    list_display = ("title", "author", "class_list", "status", "created_at")
    list_filter = ("status", "class_list", "created_at")
    search_fields = ("title", "body")
    list_select_related = ("author", "class_list__course")
    current_user_fields = ("author",)


kingadmin.site.register(Answer)
