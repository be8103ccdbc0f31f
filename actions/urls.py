from django.urls import path

from actions import apis

urlpatterns = [
    path("pending", apis.ActionPendingListApi.as_view(), name="actions-pending"),
    path("decided", apis.ActionDecidedListApi.as_view(), name="actions-decided"),
    path("<str:action_id>/feedback", apis.ActionFeedbackApi.as_view(), name="action-feedback"),
]
