from django.urls import path

from surveys.views import crm as views
from surveys.views import events, hygiene, insights, outbox, responses

app_name = "surveys"

urlpatterns = [
    path("accounts/", views.account_index, name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("contacts/", views.contact_index, name="contact_list"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("imports/", views.import_index, name="import_list"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/status/", views.import_status, name="import_status"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("hygiene/", hygiene.hygiene_report, name="hygiene"),
    path("hygiene.csv", hygiene.hygiene_csv, name="hygiene_csv"),
    path("responses/", responses.response_index, name="response_list"),
    path("responses/<int:pk>/", responses.response_detail, name="response_detail"),
    path("responses/<int:pk>/flag/", responses.response_flag, name="response_flag"),
    path("invitations/", outbox.invitation_index, name="invitation_list"),
    path("outbox/", outbox.outbox_index, name="outbox_list"),
    path("outbox/<int:pk>/", outbox.outbox_detail, name="outbox_detail"),
    path("events/", events.event_index, name="event_list"),
    path("events/upload/", events.event_upload, name="event_upload"),
    path("insights/terms/", insights.term_associations_page, name="term_associations"),
    path("insights/topics/", insights.topic_discovery_page, name="topic_discovery"),
    path("insights/topics/accept/", insights.topic_accept, name="topic_accept"),
]
