from django.urls import path

from analytics import apis

urlpatterns = [
    path("events", apis.EventsIngestApi.as_view(), name="analytics-events-ingest"),
    path("experiments/assign", apis.ExperimentAssignApi.as_view(), name="analytics-experiment-assign"),
]
