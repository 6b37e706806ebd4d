from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from api import token_views, views

app_name = "api"

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("follow-ups", views.FollowUpViewSet, basename="followup")
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")
router.register("classes", views.ClassViewSet, basename="class")
router.register("sessions", views.SessionViewSet, basename="session")
router.register("payments", views.PaymentViewSet, basename="payment")

urlpatterns = [
    path("tokens/", token_views.tokens, name="tokens"),
    path("tokens/<str:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/docs/", views.docs, name="docs"),
    path("v1/leads/", views.LeadCaptureView.as_view(), name="lead-capture"),
    path("v1/", include(router.urls)),
]
