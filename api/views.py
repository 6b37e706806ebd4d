"""The REST API, version 1: each route a rule route, its rows the rules' rows.

Reads: customers, follow-ups, enrollments, classes, sessions, payments.
Writes: a customer (a duplicate is a 409 naming the owner), a follow-up (the
owner's, as on the customer page) and a lead through a lead form (the
visitor's answer is the same whether the person was known or not).
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as api_serializers
from api.access import ScopedMixin
from crm.capture import lead_form_submit, referrer_clean, utm_from
from crm.capture_forms import LeadCaptureForm
from crm.models import (
    ClassList,
    Course,
    Customer,
    CustomerFollowUp,
    Enrollment,
    LeadForm,
    Payment,
)
from crm.services import DuplicateCustomer, customer_create, followup_add
from kingadmin.decorators import rule_required
from kingadmin.fields import parse_pk
from kingadmin.permissions import registry
from timetable.models import ClassSession

CUSTOMER = {"app_label": "crm", "model_name": "customer"}


def _invalid(error: ValidationError) -> exceptions.ValidationError:
    """Return the API's 400 for a service's ValidationError."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"non_field_errors": error.messages})


class ReadViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """List and open the rows the rules allow; filters as on the list page."""


@extend_schema(tags=["customers"])
class CustomerViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers (leads): the rows of the caller's customer list."""

    model = Customer
    serializer_class = api_serializers.CustomerSerializer

    def base_queryset(self):
        return Customer.objects.select_related("consultant")

    @extend_schema(
        responses={
            201: api_serializers.CustomerSerializer,
            409: OpenApiResponse(
                api_serializers.DuplicateSerializer,
                description="The phone or QQ belongs to a customer already.",
            ),
        }
    )
    def create(self, request, *args, **kwargs):
        """Add a lead owned by the caller, as the customer list's "Add" does."""
        adding = registry.decide(
            request.user, url_name="kingadmin:add", method="POST", url_kwargs=CUSTOMER
        )
        if not adding:
            raise exceptions.PermissionDenied(_("You may not add customers."))
        serializer = self.get_serializer(
            data=request.data, course_choices=registry.visible(request, Course)
        )
        serializer.is_valid(raise_exception=True)
        try:
            customer = customer_create(
                consultant=request.user, by=request.user, **serializer.validated_data
            )
        except DuplicateCustomer as duplicate:
            existing = duplicate.existing
            return Response(
                {
                    "detail": duplicate.messages[0],
                    "customer": existing.pk,
                    "owner": str(existing.consultant) if existing.consultant else None,
                },
                status=status.HTTP_409_CONFLICT,
            )
        except ValidationError as error:
            raise _invalid(error) from None
        return Response(
            self.get_serializer(customer).data, status=status.HTTP_201_CREATED
        )


@extend_schema(tags=["follow-ups"])
class FollowUpViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Follow-ups of the customers the caller may view; ``?customer=<id>``."""

    model = CustomerFollowUp
    serializer_class = api_serializers.FollowUpSerializer

    def base_queryset(self):
        return CustomerFollowUp.objects.select_related("consultant")

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        customer = self.request.query_params.get("customer")
        if customer is not None:
            pk = parse_pk(Customer, customer)
            queryset = queryset.filter(customer=pk) if pk else queryset.none()
        return queryset

    def create(self, request, *args, **kwargs):
        """Record a follow-up, as the customer page does (the owner only)."""
        deciding = registry.decide(
            request.user, url_name="crm:followup_add", method="POST"
        )
        workable = deciding.scope(request, Customer.objects.all())
        serializer = self.get_serializer(data=request.data, customer_choices=workable)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            followup = followup_add(
                customer=data["customer"],
                by=request.user,
                content=data["content"],
                intention=data["intention"],
            )
        except ValidationError as error:
            raise _invalid(error) from None
        return Response(
            self.get_serializer(followup).data, status=status.HTTP_201_CREATED
        )


@extend_schema(tags=["enrollments"])
class EnrollmentViewSet(ReadViewSet):
    model = Enrollment
    serializer_class = api_serializers.EnrollmentSerializer

    def base_queryset(self):
        return Enrollment.objects.select_related("consultant")


@extend_schema(tags=["classes"])
class ClassViewSet(ReadViewSet):
    model = ClassList
    serializer_class = api_serializers.ClassSerializer

    def base_queryset(self):
        return ClassList.objects.prefetch_related("teachers")


@extend_schema(tags=["sessions"])
class SessionViewSet(ReadViewSet):
    model = ClassSession
    serializer_class = api_serializers.SessionSerializer

    def base_queryset(self):
        return ClassSession.objects.select_related("teacher")


@extend_schema(tags=["payments"])
class PaymentViewSet(ReadViewSet):
    model = Payment
    serializer_class = api_serializers.PaymentSerializer

    def base_queryset(self):
        return Payment.objects.select_related("consultant")


@extend_schema(
    tags=["leads"],
    request=api_serializers.LeadSerializer,
    responses={202: api_serializers.LeadReceivedSerializer},
)
class LeadCaptureView(APIView):
    """Take a lead through a lead form, as its public page does.

    The answer is the same whether the person was a customer already (then
    their owner gets a "came again" follow-up) or not: a caller learns nothing
    about who is a customer.
    """

    def post(self, request):
        given = api_serializers.LeadSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        lead_form = LeadForm.objects.filter(token=data["form"], is_active=True).first()
        if lead_form is None:
            raise exceptions.ValidationError(
                {"form": [_("No active lead form has this token.")]}
            )
        form = LeadCaptureForm(
            {key: value for key, value in data.items() if key != "form"},
            lead_form=lead_form,
        )
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors.get_json_data())
        try:
            lead_form_submit(
                form=lead_form,
                data=form.cleaned_data,
                utm=utm_from(data),
                referrer=referrer_clean(data.get("referrer", "")),
            )
        except ValidationError as error:
            raise _invalid(error) from None
        return Response({"received": True}, status=status.HTTP_202_ACCEPTED)


@rule_required
@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """Show the API's documentation (Swagger UI, vendored) from the served schema."""
    return render(request, "api/docs.html")
