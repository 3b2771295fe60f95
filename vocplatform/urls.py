from django.contrib import admin
from django.urls import include, path

from vocplatform import views

admin.site.site_header = "vocplatform administration"
admin.site.site_title = "vocplatform admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("status/", views.status, name="status"),
    path("auth/", include("django.contrib.auth.urls")),
    path("crm/loops/", include("loops.urls")),
    path("crm/", include("surveys.urls")),
    path("s/", include("surveys.public_urls")),
    path("api/v1/", include("vocplatform.api_urls")),
    path("admin/", admin.site.urls),
]
