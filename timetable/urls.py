from django.urls import path

from timetable import views

app_name = "timetable"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("events/", views.mine_events, name="mine_events"),
    path("settings/", views.settings, name="settings"),
    path("feed/renew/", views.feed_renew, name="feed_renew"),
    path("feed/revoke/", views.feed_revoke, name="feed_revoke"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("campus/", views.campus, name="campus"),
    path("campus/events/", views.campus_events, name="campus_events"),
    path("sessions/<int:session_id>/leave/", views.leave_new, name="leave_new"),
    path("leave/", views.leave_list, name="leave_list"),
    path("leave/<int:leave_id>/decide/", views.leave_decide, name="leave_decide"),
]
