"""Analytics over HTTP: client event batches in, dashboard figures out (staff only)."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import constants
from analytics.csv_tables import dashboard_table, funnel_table
from analytics.error_codes import AnalyticsErrorCode
from analytics.exceptions import BatchInvalid
from analytics.ratelimit import client_key, ingest_rate_check
from analytics.renderers import CSVRenderer
from analytics.selectors import Period, dashboard_get, funnel_get
from analytics.selectors.handoff import handoff_metrics_get
from analytics.services import events_ingest
from core.authentication import bearer_token
from core.parsers import JSONParser
from core.ratelimit import client_address

MAX_PERIOD_DAYS = 366
_ACTION_TYPE = r"^[a-z][a-z0-9_]{0,63}$"
_PS_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$"


class _ClientEventDoc(serializers.Serializer):
    """One client event (documentation; each event is checked on its own by the service)."""

    event_id = serializers.CharField(max_length=64, help_text="The client's id for this event; a replay is ignored.")
    name = serializers.ChoiceField(choices=sorted(str(n) for n in constants.CLIENT_EVENT_NAMES))
    occurred_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone; at most 5 minutes ahead, 7 days old.")
    conversation_id = serializers.CharField(help_text="Must be the conversation of the bearer token.")
    action_type = serializers.CharField(required=False, help_text="Required for action_clicked.")
    action_id = serializers.CharField(required=False)
    ps_number = serializers.CharField(required=False, help_text="Also accepted as psNumber.")
    model_number = serializers.CharField(required=False, help_text="Also accepted as modelNumber.")
    intent = serializers.CharField(required=False)
    properties = serializers.DictField(required=False, help_text="At most 2 KB of JSON.")


class _BatchDoc(serializers.Serializer):
    events = _ClientEventDoc(many=True, max_length=constants.MAX_BATCH)


class _RawEvents(serializers.Field):
    """The batch as sent: the service checks every event by itself, so one bad event does not
    sink the rest."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise BatchInvalid("events must be a list of event objects.", code=AnalyticsErrorCode.INVALID_BATCH)
        return data


class EventsIngestApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    class InputSerializer(serializers.Serializer):
        events = _RawEvents()

    class OutputSerializer(serializers.Serializer):
        class RejectedSerializer(serializers.Serializer):
            index = serializers.IntegerField()
            event_id = serializers.CharField(allow_null=True)
            code = serializers.CharField()
            detail = serializers.CharField()

        accepted = serializers.IntegerField(help_text="Events stored now.")
        duplicates = serializers.IntegerField(help_text="Events already stored (a replay), or repeated in the batch.")
        rejected = RejectedSerializer(many=True)

    @extend_schema(
        request=_BatchDoc,
        responses={200: OutputSerializer},
        tags=["analytics"],
        summary="Record a batch of client-side telemetry events",
        description=(
            "Up to 500 events a batch, with `Authorization: Bearer <conversation token>`. Clients may "
            "send what only they observe: chat_opened, action_clicked, payment_link_clicked, "
            "conversation_abandoned; everything else is recorded by the server. Each event is checked "
            "on its own: the good ones are kept, a replayed event_id counts as a duplicate, and each "
            "refused one comes back in `rejected` with a stable `code` (invalid_event, unknown_field, "
            "invalid_event_id, unknown_name, server_only_name, invalid_occurred_at, occurred_in_future, "
            "too_old, conversation_required, conversation_forbidden, invalid_dimension, "
            "invalid_properties). 429 with Retry-After past the per-client limit."
        ),
    )
    def post(self, request):
        token = bearer_token(request)
        raw = request.data.get("events") if isinstance(request.data, dict) else None
        ingest_rate_check(
            client=client_key(token=token, remote_addr=client_address(request)),
            events=len(raw) if isinstance(raw, list) else 0,
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = events_ingest(events=data.validated_data["events"], token=token)
        return Response(self.OutputSerializer(result).data)


# --- staff: funnel and dashboard ----------------------------------------------------------------


class _PeriodInput(serializers.Serializer):
    """Period and filters shared by the staff endpoints. `days` counts back from `end` (default
    today, UTC); `start`/`end` give an explicit range instead."""

    default_days = 7

    days = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PERIOD_DAYS)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    action_type = serializers.RegexField(_ACTION_TYPE, required=False)
    ps_number = serializers.RegexField(_PS_NUMBER, required=False)

    def validate(self, attrs):
        today = timezone.now().date()
        if "days" in attrs and "start" in attrs:
            raise serializers.ValidationError({"days": ["Give either days or start, not both."]})
        end = attrs.get("end") or today
        if end > today:
            raise serializers.ValidationError({"end": ["The period cannot end after today (UTC)."]})
        start = attrs.get("start") or end - timedelta(days=attrs.get("days", self.default_days) - 1)
        if start > end:
            raise serializers.ValidationError({"start": ["start must be on or before end."]})
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise serializers.ValidationError({"start": [f"A period is at most {MAX_PERIOD_DAYS} days."]})
        return Period(start=start, end=end, action_type=attrs.get("action_type"), ps_number=attrs.get("ps_number"))


_PERIOD_PARAMETERS = [
    OpenApiParameter("days", int, description="Days back from `end` (1-366)."),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (UTC), instead of `days`."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (UTC), default today."),
    OpenApiParameter("action_type", str, description="Only this action type."),
    OpenApiParameter("ps_number", str, description="Only this part."),
    OpenApiParameter("format", str, enum=["json", "csv"], description="csv for a spreadsheet."),
]


class _StaffApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAdminUser]
    renderer_classes = [JSONRenderer, CSVRenderer]

    def _csv(self, request, table: dict, filename: str) -> Response:
        return Response(table, headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    def _wants_csv(self, request) -> bool:
        return getattr(request.accepted_renderer, "format", "") == "csv"


class FunnelGetApi(_StaffApi):
    class InputSerializer(_PeriodInput):
        default_days = 7

    class OutputSerializer(serializers.Serializer):
        class StepSerializer(serializers.Serializer):
            name = serializers.CharField()
            conversations = serializers.IntegerField()
            percent_of_first = serializers.FloatField(allow_null=True)
            percent_of_previous = serializers.FloatField(allow_null=True)

        period = serializers.DictField()
        filters = serializers.DictField()
        conversations = serializers.IntegerField(help_text="Conversations that started in the period.")
        steps = StepSerializer(many=True)
        chat_to_payment_percent = serializers.FloatField(allow_null=True)
        intent_to_payment_percent = serializers.FloatField(allow_null=True)
        link_click_to_payment_percent = serializers.FloatField(allow_null=True)
        daily = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        parameters=_PERIOD_PARAMETERS,
        responses={
            (200, "application/json"): OutputSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per day, then the total."),
        },
        tags=["analytics"],
        summary="Conversion funnel per day and for the period (staff)",
    )
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        period = data.validated_data
        result = funnel_get(period=period)
        if self._wants_csv(request):
            return self._csv(request, funnel_table(result), f"funnel_{period.start}_{period.end}.csv")
        return Response(self.OutputSerializer(result).data)


class DashboardGetApi(_StaffApi):
    class InputSerializer(_PeriodInput):
        default_days = 30
        report = serializers.ChoiceField(
            choices=["daily", "funnel", "actions", "parts", "orders"], required=False, default="daily"
        )

        def validate(self, attrs):
            report = attrs.pop("report", "daily")
            return super().validate(attrs), report

    class OutputSerializer(serializers.Serializer):
        period = serializers.DictField()
        filters = serializers.DictField()
        generated_at = serializers.DateTimeField()
        overview = serializers.DictField()
        funnel = serializers.DictField()
        orders = serializers.ListField(child=serializers.DictField())
        actions = serializers.ListField(child=serializers.DictField())
        top_parts = serializers.DictField()
        alerts = serializers.DictField()
        assistant_cost = serializers.DictField()
        daily = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        parameters=[
            *_PERIOD_PARAMETERS,
            OpenApiParameter(
                "report",
                str,
                enum=["daily", "funnel", "actions", "parts", "orders"],
                description="Which table the CSV holds (default daily).",
            ),
        ],
        responses={
            (200, "application/json"): OutputSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The table named by `report`."),
        },
        tags=["analytics"],
        summary="Everything the operators' dashboard shows (staff)",
    )
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        period, report = data.validated_data
        result = dashboard_get(period=period)
        if self._wants_csv(request):
            return self._csv(
                request, dashboard_table(result, report), f"dashboard_{report}_{period.start}_{period.end}.csv"
            )
        return Response(self.OutputSerializer(result).data)


class HandoffMetricsGetApi(APIView):
    """The team's figures: CSAT, first-response time, time to resolve (staff: session or token)."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAdminUser]

    class InputSerializer(_PeriodInput):
        default_days = 30

    class OutputSerializer(serializers.Serializer):
        period = serializers.DictField()
        requests = serializers.DictField(help_text="{count, afterHours}: how often a person was asked for.")
        csat = serializers.DictField(
            help_text="{count, average, satisfiedPercent, perOperator: [{operatorId, operatorName, …}]}"
        )
        firstResponse = serializers.DictField(
            help_text="{count, averageSeconds, slowestSeconds, perOperator}: request → first operator message."
        )
        timeToResolve = serializers.DictField(
            help_text="{count, averageSeconds, slowestSeconds, perOperator}: request → resolved."
        )

    @extend_schema(
        parameters=_PERIOD_PARAMETERS[:3],
        responses={200: OutputSerializer},
        tags=["analytics"],
        summary="Handoff figures: CSAT per operator and overall, first-response time, time to resolve (staff)",
    )
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        return Response(self.OutputSerializer(handoff_metrics_get(period=data.validated_data)).data)
