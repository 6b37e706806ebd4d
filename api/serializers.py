"""What the API shows and takes: the fields of the pages, never the ID numbers."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import ClassList, Customer, CustomerFollowUp, Enrollment, Payment
from timetable.models import ClassSession

PERSON_SCHEMA = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    "required": ["id", "name"],
    "nullable": True,
}


@extend_schema_field(PERSON_SCHEMA)
class PersonField(serializers.Field):
    """A user as ``{"id": 3, "name": "销售A"}`` (read-only)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return {"id": value.pk, "name": str(value)}


class CustomerSerializer(serializers.ModelSerializer):
    consultant = PersonField(allow_null=True)

    class Meta:
        model = Customer
        fields = (
            "id",
            "name",
            "phone",
            "qq",
            "qq_name",
            "email",
            "source",
            "referral_from",
            "consult_course",
            "notes",
            "status",
            "pool",
            "unassigned",
            "consultant",
            "created_at",
            "last_followup_at",
        )
        read_only_fields = (
            "status",
            "pool",
            "unassigned",
            "created_at",
            "last_followup_at",
        )
        # Unique numbers are checked by the service: a duplicate is a 409
        # naming the owner (crm.services.customer_create), not a 400.
        extra_kwargs = {
            # Typed as people type them ("139-0000-1234", "+86 ..."): the
            # model stores the normalised number.
            "qq": {"validators": [], "max_length": 32},
            "phone": {"validators": [], "max_length": 32},
        }

    def __init__(self, *args, course_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if course_choices is not None:
            self.fields["consult_course"].queryset = course_choices


class FollowUpSerializer(serializers.ModelSerializer):
    consultant = PersonField()

    class Meta:
        model = CustomerFollowUp
        fields = ("id", "customer", "consultant", "content", "intention", "created_at")
        read_only_fields = ("created_at",)

    def __init__(self, *args, customer_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if customer_choices is not None:
            self.fields["customer"].queryset = customer_choices


class EnrollmentSerializer(serializers.ModelSerializer):
    consultant = PersonField()

    class Meta:
        model = Enrollment
        fields = (
            "id",
            "customer",
            "class_list",
            "consultant",
            "state",
            "contract_agreed",
            "submitted_at",
            "approved_at",
            "created_at",
        )
        read_only_fields = fields


class ClassSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClassList
        fields = (
            "id",
            "name",
            "branch",
            "course",
            "class_type",
            "semester",
            "start_date",
            "end_date",
            "seats",
            "teachers",
        )
        read_only_fields = fields


class SessionSerializer(serializers.ModelSerializer):
    teacher = PersonField(allow_null=True)

    class Meta:
        model = ClassSession
        fields = (
            "id",
            "class_list",
            "number",
            "starts_at",
            "ends_at",
            "room",
            "teacher",
            "topic",
            "status",
        )
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    consultant = PersonField()

    class Meta:
        model = Payment
        fields = (
            "id",
            "enrollment",
            "kind",
            "amount",
            "consultant",
            "note",
            "created_at",
        )
        read_only_fields = fields


class LeadSerializer(serializers.Serializer):
    """A lead from another site, through one of the school's lead forms."""

    form = serializers.CharField(
        max_length=64, help_text="The token of the lead form (its /f/<token>/ URL)."
    )
    name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    qq = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    utm_source = serializers.CharField(max_length=128, required=False, allow_blank=True)
    utm_medium = serializers.CharField(max_length=128, required=False, allow_blank=True)
    utm_campaign = serializers.CharField(
        max_length=128, required=False, allow_blank=True
    )
    utm_term = serializers.CharField(max_length=128, required=False, allow_blank=True)
    utm_content = serializers.CharField(
        max_length=128, required=False, allow_blank=True
    )
    referrer = serializers.CharField(max_length=500, required=False, allow_blank=True)


class LeadReceivedSerializer(serializers.Serializer):
    received = serializers.BooleanField()


class DuplicateSerializer(serializers.Serializer):
    detail = serializers.CharField()
    customer = serializers.IntegerField()
    owner = serializers.CharField(allow_null=True)
