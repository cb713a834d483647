from django.contrib import admin
from django.urls import include, path

from encaisse.api.urls import api

admin.site.site_header = "encaisse — support"
admin.site.site_title = "encaisse"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("encaisse.web.urls")),
]
