"""The 404, 403 and 500 pages: French, in the application's layout, with DEBUG off (as
pytest-django runs); the 500 page rendered without the request or the database. And the
favicon."""

import pytest
from django.template import TemplateSyntaxError
from django.test import Client, RequestFactory
from django.urls import reverse

from encaisse.companies.models import Role
from encaisse.web.views import base, errors

pytestmark = pytest.mark.django_db


def test_unknown_page_is_a_french_404_in_the_layout(admin_client, settings):
    assert settings.DEBUG is False
    response = admin_client.get("/pas-de-page-ici/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page introuvable</h1>" in html
    assert 'id="sidenav"' in html  # the navigation of a signed-in user
    assert "Not Found" not in html and "The requested resource" not in html


def test_another_companys_record_is_the_same_404(admin_client, other_company, make_user):
    from encaisse.customers.services import create_customer

    boss = make_user("autre", other_company, Role.ADMIN)
    stranger = create_customer(other_company, {"legal_name": "Secret SA"}, by=boss)
    response = admin_client.get(reverse("web:customer_detail", args=[stranger.pk]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page introuvable</h1>" in html and "Secret SA" not in html


def test_404_without_login_has_no_navigation(client):
    response = client.get("/pas-de-page-ici/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page introuvable</h1>" in html and 'id="sidenav"' not in html


def test_refused_page_is_a_french_403_in_the_layout(client_of, company, make_user):
    reader = make_user("lecteur", company, Role.READ_ONLY)
    response = client_of(reader).get(reverse("web:customer_create"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Accès refusé</h1>" in html
    assert "Votre rôle (Lecture seule) ne permet pas de modifier les clients." in html
    assert 'id="sidenav"' in html


def test_expired_form_is_a_french_403(admin):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("web:login"), {"username": "admin", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Formulaire expiré</h1>" in html and "CSRF verification failed" not in html


def test_server_error_is_a_french_500_in_the_layout(admin_client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(base, "aged_totals", broken)
    admin_client.raise_request_exception = False
    response = admin_client.get(reverse("web:home"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Une erreur est survenue</h1>" in html
    assert 'class="topbar"' in html and "app.css" in html
    # Rendered without the request: nothing of the user or the company on it.
    assert "Se déconnecter" not in html and "Atelier Martin" not in html and "boom" not in html


def test_500_needs_neither_the_database_nor_the_request(django_assert_num_queries):
    request = RequestFactory().get("/")  # no session, no user, no company
    with django_assert_num_queries(0):
        response = errors.server_error(request)
    assert response.status_code == 500
    assert "<h1>Une erreur est survenue</h1>" in response.content.decode()


def test_500_falls_back_to_plain_html_when_its_template_fails(monkeypatch):
    def fail(*args, **kwargs):
        raise TemplateSyntaxError("broken")

    monkeypatch.setattr(errors.loader, "render_to_string", fail)
    response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert response.content.decode() == errors.FALLBACK


def test_favicon(admin_client):
    html = admin_client.get(reverse("web:home")).content.decode()
    assert '<link rel="icon" href="/static/encaisse/favicon.svg" type="image/svg+xml">' in html
    response = admin_client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (302, "/static/encaisse/favicon.svg")
    icon = admin_client.get("/static/encaisse/favicon.svg")
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content)
