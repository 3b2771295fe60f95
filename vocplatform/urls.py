from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from vocplatform import views
from vocplatform.staff import apikeys as apikey_pages
from vocplatform.staff import webhooks as webhook_pages
from vocplatform.throttling import throttle_sign_in

admin.site.site_header = "vocplatform administration"
admin.site.site_title = "vocplatform admin"

integrations = [
    path("api-keys/", apikey_pages.apikey_index, name="apikey_list"),
    path("api-keys/new/", apikey_pages.apikey_new, name="apikey_new"),
    path("api-keys/<int:pk>/revoke/", apikey_pages.apikey_revoke_view, name="apikey_revoke"),
    path("webhooks/", webhook_pages.subscription_index, name="webhook_list"),
    path("webhooks/new/", webhook_pages.subscription_new, name="webhook_new"),
    path("webhooks/<int:pk>/", webhook_pages.subscription_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/delete/", webhook_pages.subscription_delete, name="webhook_delete"),
    path("webhooks/<int:pk>/deliveries/", webhook_pages.delivery_index, name="webhook_deliveries"),
    path("webhooks/<int:pk>/replay/", webhook_pages.subscription_replay, name="webhook_replay"),
    path("webhooks/deliveries/<uuid:delivery_id>/resend/", webhook_pages.delivery_resend_view, name="webhook_resend"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("status/", views.status, name="status"),
    # Django's own sign-in and password-reset views, throttled; the rest of django.contrib.auth.urls as is.
    path("auth/login/", throttle_sign_in(auth_views.LoginView.as_view()), name="login"),
    path("auth/password_reset/", throttle_sign_in(auth_views.PasswordResetView.as_view()), name="password_reset"),
    path("auth/", include("django.contrib.auth.urls")),
    path("admin/login/", throttle_sign_in(admin.site.login)),  # the admin's own sign-in, counted the same
    path("crm/loops/", include("loops.urls")),
    path("crm/integrations/", include((integrations, "integrations"))),
    path("crm/", include("surveys.urls")),
    path("s/", include("surveys.public_urls")),
    path("api/v1/", include("vocplatform.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("admin/", admin.site.urls),
]

# A database failure outside a view (in a middleware) is the same 503 as inside one.
handler500 = "vocplatform.views.server_error"
