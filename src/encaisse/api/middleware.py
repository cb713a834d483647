"""Every answer under /api/ is JSON in the API's error format, whoever produced it.

Ninja answers its own routes; Django answers the rest: an unknown path (its 404 page), a
known path with a method it does not take (ninja's plain-text 405), a server error (the
500 page). A client of the API parses JSON, so those become
`{"code", "message"}` with the same status (and the 405's `Allow` header).
"""

import json

from django.conf import settings

API_PREFIX = "/api/"
JSON = "application/json"

ANSWERS = {
    404: ("not_found", "Adresse inconnue dans l'API : {path}"),
    405: ("method_not_allowed", "Méthode {method} non permise ici (permises : {allow})."),
    500: ("server_error", "Erreur interne du serveur : l'incident est enregistré."),
}
OTHER = ("http_error", "La requête a échoué (statut HTTP {status}).")


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/")


class ApiErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or response.streaming
            or not is_api(request.path)
            or response.get("Content-Type", "").startswith(JSON)
        ):
            return response
        code, template = ANSWERS.get(response.status_code, OTHER)
        message = template.format(
            path=request.path,
            method=request.method,
            allow=response.get("Allow", "").replace(",", ", ") or "aucune",
            status=response.status_code,
        )
        response.content = json.dumps({"code": code, "message": message}).encode()
        response["Content-Type"] = f"{JSON}; charset={settings.DEFAULT_CHARSET}"
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
