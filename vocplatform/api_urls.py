"""The REST API under /api/v1/ (the OpenAPI schema and its docs are at /api/schema/)."""

from django.urls import path, re_path

from loops.api import health as loops_health
from loops.api import loops
from surveys.api import catalog, crm, events, invitations, responses
from vocplatform.api_errors import not_found

app_name = "api"

urlpatterns = [
    path("accounts", crm.AccountListView.as_view(), name="account-list"),
    path("accounts/upsert", crm.AccountUpsertView.as_view(), name="account-upsert"),
    path("accounts/bulk", crm.AccountBulkView.as_view(), name="account-bulk"),
    path("accounts/<int:pk>", crm.AccountDetailView.as_view(), name="account-detail"),
    path("accounts/<int:pk>/health", loops_health.AccountHealthView.as_view(), name="account-health"),
    path("contacts", crm.ContactListView.as_view(), name="contact-list"),
    path("contacts/upsert", crm.ContactUpsertView.as_view(), name="contact-upsert"),
    path("contacts/bulk", crm.ContactBulkView.as_view(), name="contact-bulk"),
    path("contacts/<int:pk>", crm.ContactDetailView.as_view(), name="contact-detail"),
    path("events", events.EventsView.as_view(), name="events"),
    path("bounces", events.BouncesView.as_view(), name="bounces"),
    path("surveys", catalog.SurveyListView.as_view(), name="survey-list"),
    path("surveys/<int:pk>", catalog.SurveyDetailView.as_view(), name="survey-detail"),
    path("invitations", invitations.InvitationListView.as_view(), name="invitation-list"),
    path("invitations/<int:pk>", invitations.InvitationDetailView.as_view(), name="invitation-detail"),
    path("invitations/<int:pk>/cancel", invitations.InvitationCancelView.as_view(), name="invitation-cancel"),
    path("responses", responses.ResponseListView.as_view(), name="response-list"),
    path("responses/export", responses.ResponseExportView.as_view(), name="response-export"),
    path("responses/<int:pk>", responses.ResponseDetailView.as_view(), name="response-detail"),
    path("loops", loops.LoopListView.as_view(), name="loop-list"),
    path("loops/<int:pk>", loops.LoopDetailView.as_view(), name="loop-detail"),
    path("loops/<int:pk>/status", loops.LoopStatusView.as_view(), name="loop-status"),
    path("loops/<int:pk>/notes", loops.LoopNotesView.as_view(), name="loop-notes"),
    path("loops/<int:pk>/steps", loops.LoopStepsView.as_view(), name="loop-steps"),
    path("loops/<int:pk>/close", loops.LoopCloseView.as_view(), name="loop-close"),
    path("root-causes", loops.RootCauseListView.as_view(), name="root-cause-list"),
    path("health", loops_health.HealthListView.as_view(), name="health-list"),
    re_path(r"", not_found, name="not-found"),  # last: every other path under /api/v1/
]
