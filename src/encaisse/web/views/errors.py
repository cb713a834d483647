"""The 500 page. Django's 404 and 403 views render 404.html and 403.html with the request
(the layout with the user's navigation); this one must work when the request, the session
or the database is what failed."""

import logging

from django.http import HttpResponseServerError
from django.template import loader

logger = logging.getLogger(__name__)

# If even the template cannot be rendered (a broken template, a missing static file
# manifest...), a page that needs nothing.
FALLBACK = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
    "<title>Erreur du serveur · encaisse</title></head><body>"
    "<h1>Une erreur est survenue</h1>"
    "<p>Le serveur n'a pas pu traiter la demande. Avant de recommencer, vérifiez sur la "
    "page concernée si l'opération a été enregistrée.</p>"
    '<p><a href="/">Accueil</a></p></body></html>'
)


def server_error(request):
    """500.html rendered without the request: no context processor, session or query."""
    try:
        body = loader.render_to_string("500.html")
    except Exception:
        logger.exception("500.html could not be rendered")
        body = FALLBACK
    return HttpResponseServerError(body)
