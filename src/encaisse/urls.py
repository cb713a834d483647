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

# 404.html and 403.html are Django's own views with our templates (web/templates/);
# the 500 page is rendered without the request, which may be what failed.
handler500 = "encaisse.web.views.errors.server_error"
