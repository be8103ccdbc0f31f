"""Analytics over HTTP: client event batches in, dashboard figures out (staff only)."""

import json
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
from analytics.csv_tables import dashboard_table, experiment_table, funnel_table
from analytics.error_codes import AnalyticsErrorCode
from analytics.exceptions import BatchInvalid
from analytics.ratelimit import client_key, ingest_rate_check
from analytics.renderers import CSVRenderer
from analytics.selectors import Period, dashboard_get, funnel_get
from analytics.selectors.experiments import experiment_report_get, experiments_list
from analytics.selectors.handoff import handoff_metrics_get
from analytics.services import events_ingest
from analytics.services.experiments import experiment_assign, shop_order_record, shop_webhook_verify
from core.authentication import bearer_token
from core.parsers import JSONParser
from core.ratelimit import client_address
from core.schema import ErrorSerializer

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
        try:
            start = attrs.get("start") or end - timedelta(days=attrs.get("days", self.default_days) - 1)
        except OverflowError:  # end=0001-01-01: the period would start before the calendar does
            raise serializers.ValidationError({"end": ["The period would start before the year 1."]}) from None
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
        handoff = serializers.DictField(
            help_text="CSAT per operator and overall, first-response time, time to resolve "
            "(as GET /api/admin/analytics/handoff)."
        )
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


# --- experiments ---------------------------------------------------------------------------------


class ExperimentAssignApi(APIView):
    """The widget asks, before it draws, which arm this visitor is in."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    class InputSerializer(serializers.Serializer):
        visitor_id = serializers.RegexField(
            f"^{constants.VISITOR_ID_PATTERN}$", help_text="The widget's first-party random id (localStorage)."
        )
        page_url = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        experiment_id = serializers.IntegerField(allow_null=True, help_text="null: no experiment covers this page.")
        arm = serializers.ChoiceField(choices=["chat", "holdout"], allow_null=True)
        show_widget = serializers.BooleanField()

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer},
        tags=["analytics"],
        summary="Assign a visitor to the running experiment's arm (recorded once as experiment_assigned)",
    )
    def post(self, request):
        ingest_rate_check(client=client_key(token=None, remote_addr=client_address(request)), events=1)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = experiment_assign(**data.validated_data)
        return Response(self.OutputSerializer(assignment).data)


class ShopOrderWebhookApi(APIView):
    """The shop platform reports its paid orders server to server (signed), with the visitor id
    its pages read from the beacon."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes: list = []

    class InputSerializer(serializers.Serializer):
        order_id = serializers.RegexField(f"^{constants.ORDER_ID_PATTERN}$")
        visitor_id = serializers.RegexField(f"^{constants.VISITOR_ID_PATTERN}$")
        value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
        currency = serializers.RegexField(r"^[A-Z]{3}$")
        occurred_at = serializers.DateTimeField(required=False, help_text="When it was paid; default now.")

    class OutputSerializer(serializers.Serializer):
        order_id = serializers.CharField()
        recorded = serializers.BooleanField(help_text="false: this order id was already recorded (counted once).")

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(
                ErrorSerializer, description="invalid_request / currency_mismatch: the body is not a valid order."
            ),
            401: OpenApiResponse(
                ErrorSerializer, description="invalid_signature: missing, stale or wrong Parley-Signature."
            ),
            503: OpenApiResponse(
                ErrorSerializer, description="webhook_disabled: PARLEY_SHOP_WEBHOOK_SECRET is not set."
            ),
        },
        tags=["analytics"],
        summary="A shop platform's paid order, for experiments (signed with Parley-Signature)",
    )
    def post(self, request):
        body = request.body
        shop_webhook_verify(body=body, signature_header=request.headers.get("Parley-Signature", ""))
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise BatchInvalid("The body must be a JSON object.", code=AnalyticsErrorCode.INVALID_ORDER) from None
        data = self.InputSerializer(data=payload if isinstance(payload, dict) else {})
        data.is_valid(raise_exception=True)
        order = data.validated_data
        recorded = shop_order_record(
            order_id=order["order_id"],
            visitor_id=order["visitor_id"],
            value=order["value"],
            currency=order["currency"],
            occurred_at=order.get("occurred_at") or timezone.now(),
        )
        return Response(self.OutputSerializer({"order_id": order["order_id"], "recorded": recorded}).data)


class _DifferenceDoc(serializers.Serializer):
    estimate = serializers.FloatField(allow_null=True, help_text="chat − holdout")
    ci_low = serializers.FloatField(allow_null=True, help_text="95% confidence interval")
    ci_high = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True, help_text="Two-sided.")
    significant = serializers.BooleanField(help_text="The interval excludes zero.")
    method = serializers.CharField()


class _ExperimentDoc(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=["draft", "running", "stopped"])
    holdout_percent = serializers.IntegerField()
    pages = serializers.ListField(child=serializers.CharField(), help_text="Path prefixes covered; empty: all.")
    mde_points = serializers.FloatField(help_text="Minimum detectable effect, percentage points of conversion.")
    currency = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)


class ExperimentListApi(_StaffApi):
    renderer_classes = [JSONRenderer]

    class OutputSerializer(serializers.Serializer):
        experiments = _ExperimentDoc(many=True)

    @extend_schema(
        responses={200: OutputSerializer},
        tags=["analytics"],
        summary="Experiments (staff)",
        operation_id="admin_experiments_list",
    )
    def get(self, request):
        return Response(self.OutputSerializer({"experiments": experiments_list()}).data)


class ExperimentGetApi(_StaffApi):
    class OutputSerializer(serializers.Serializer):
        class ArmSerializer(serializers.Serializer):
            arm = serializers.ChoiceField(choices=["chat", "holdout"])
            visitors = serializers.IntegerField(help_text="Assigned (intention to treat).")
            converters = serializers.IntegerField(help_text="Visitors with at least one order after assignment.")
            conversion_rate = serializers.FloatField(allow_null=True, help_text="converters / visitors (0-1).")
            orders = serializers.IntegerField()
            revenue = serializers.FloatField()
            revenue_per_visitor = serializers.FloatField(allow_null=True)
            aov = serializers.FloatField(allow_null=True, help_text="revenue / orders")

        class SampleSizeSerializer(serializers.Serializer):
            mde_points = serializers.FloatField()
            alpha = serializers.FloatField()
            power = serializers.FloatField()
            needed_visitors = serializers.IntegerField(allow_null=True, help_text="Both arms; null before a baseline.")
            visitors = serializers.IntegerField()
            more_needed = serializers.IntegerField(allow_null=True)

        class SampleRatioSerializer(serializers.Serializer):
            expected_holdout_share = serializers.FloatField()
            observed_holdout_share = serializers.FloatField(allow_null=True)
            chi_square = serializers.FloatField(allow_null=True)
            p_value = serializers.FloatField(allow_null=True)
            mismatch = serializers.BooleanField(help_text="p < 0.001: the split is broken.")

        class VerdictSerializer(serializers.Serializer):
            status = serializers.ChoiceField(
                choices=[
                    "draft",
                    "no_data",
                    "one_arm_empty",
                    "sample_ratio_mismatch",
                    "no_conversions",
                    "raised",
                    "lowered",
                    "not_enough_data",
                    "no_effect",
                ]
            )
            text = serializers.CharField()

        class DaySerializer(serializers.Serializer):
            day = serializers.DateField(help_text="Cohort day (UTC) of assignment; figures are cumulative.")
            chat_visitors = serializers.IntegerField()
            chat_converters = serializers.IntegerField()
            chat_revenue = serializers.FloatField()
            holdout_visitors = serializers.IntegerField()
            holdout_converters = serializers.IntegerField()
            holdout_revenue = serializers.FloatField()
            difference_points = serializers.FloatField(allow_null=True)
            ci_low_points = serializers.FloatField(allow_null=True)
            ci_high_points = serializers.FloatField(allow_null=True)

        experiment = _ExperimentDoc()
        as_of = serializers.DateTimeField(allow_null=True, help_text="The rollups' last refresh.")
        arms = ArmSerializer(many=True)
        conversion = _DifferenceDoc(help_text="In percentage points.")
        revenue_per_visitor = _DifferenceDoc(help_text="In the experiment's currency (Welch t).")
        sample_size = SampleSizeSerializer()
        sample_ratio = SampleRatioSerializer()
        verdict = VerdictSerializer()
        daily = DaySerializer(many=True)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"], description="csv: the daily table.")],
        responses={
            (200, "application/json"): OutputSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="Cumulative figures per cohort day."),
            404: OpenApiResponse(ErrorSerializer, description="experiment_not_found"),
        },
        tags=["analytics"],
        operation_id="admin_experiment_get",
        summary="An experiment's result: arms, differences with 95% CI, sample size, split check, verdict (staff)",
    )
    def get(self, request, experiment_id: int):
        result = experiment_report_get(experiment_id=experiment_id)
        if self._wants_csv(request):
            return self._csv(request, experiment_table(result), f"experiment_{experiment_id}.csv")
        return Response(self.OutputSerializer(result).data)
