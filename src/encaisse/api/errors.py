"""Every error the API returns: JSON `{"code", "message", "field"?, "details"?}`, 4xx.

- DomainError (raised by the services): its own status (422, 404, 403, 409, else 400);
- request validation (types, missing or unknown fields, bounds): 422 `invalid_request`,
  `field` the dotted path in the body or query (list positions counted from 1, as the
  services count lines), every fault listed in `details`;
- malformed JSON: 400 `invalid_json`; missing or bad token: 401 `unauthorized`;
- a database refusal that validation should have caught (a race on a unique key):
  409 `conflict` / 422 `invalid_value` rather than a 500;
- what ninja does not answer itself (an unknown path, a method a path does not take, an
  unexpected exception): `middleware.ApiErrorsMiddleware`, 404 / 405 / 500 in this format.
"""

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DataError, IntegrityError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from encaisse.errors import DomainError

from .schemas.common import ErrorOut

logger = logging.getLogger(__name__)

# The error statuses an operation can answer, declared in the OpenAPI document with the
# error schema (schemathesis checks that no other status comes back):
ALWAYS = (400, 401)  # malformed request (bad JSON, too many fields), missing or bad token
READ = (422,)  # a parameter that breaks a rule (types, bounds, a date in the future...)
# A change: a role that may not make it, a refusal, a race lost on a unique key (409 is
# also every state conflict), a body over the size limit.
WRITE = (403, 409, 413, 422)


def responses(ok: dict, *errors: int | tuple[int, ...]) -> dict:
    """`response=` of an operation: its success(es) and the error statuses it can answer,
    e.g. `responses({200: CustomerOut}, 404)` or `responses({201: InvoiceOut}, WRITE, 404)`.
    """
    statuses = set(ALWAYS)
    for error in errors:
        statuses.update(error if isinstance(error, tuple) else (error,))
    return {**ok, **{status: ErrorOut for status in sorted(statuses)}}


SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
BODY_PARAM = "payload"  # the name every endpoint gives its body schema

CUSTOM_TYPES = {"decimal_type", "vat_rate", "invalid_text"}  # see fields.py
# French wording of pydantic's error types.
MESSAGES = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "string_type": "texte attendu",
    "string_too_long": "texte trop long ({max_length} caractères au plus)",
    "string_too_short": "texte trop court",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "int_parsing_size": "nombre entier trop grand",
    "bool_type": "booléen attendu (true ou false)",
    "bool_parsing": "booléen attendu (true ou false)",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "date_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_inexact": "date attendue (AAAA-MM-JJ), sans heure",
    "less_than_equal": "valeur trop grande ({le} au plus)",
    "less_than": "valeur trop grande",
    "greater_than_equal": "valeur trop petite ({ge} au moins)",
    "greater_than": "valeur trop petite",
    "literal_error": "valeur non permise (attendu : {expected})",
    "enum": "valeur non permise (attendu : {expected})",
    "list_type": "liste attendue",
    "too_long": "trop d'éléments ({max_length} au plus)",
    "too_short": "pas assez d'éléments ({min_length} au moins)",
    "model_type": "objet JSON attendu",
    "model_attributes_type": "objet JSON attendu",
    "dict_type": "objet JSON attendu",
    "none_required": "doit être vide",
}


def _field(loc) -> str:
    parts = list(loc)
    if parts and parts[0] in SOURCES:
        source = parts.pop(0)
        if source == "body" and parts and parts[0] == BODY_PARAM:
            parts.pop(0)
    # list positions from 1, like the services ("lines.1.quantity" is the first line)
    return ".".join(str(p + 1) if isinstance(p, int) else str(p) for p in parts)


def _message(error: dict) -> str:
    kind = error.get("type", "")
    if kind in CUSTOM_TYPES:  # our own validators already speak French
        return error.get("msg", "valeur invalide")
    template = MESSAGES.get(kind)
    if template is None:
        return "valeur invalide"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split(" (")[0]


def validation_details(errors: list[dict]) -> list[dict]:
    details = []
    for error in errors:
        field = _field(error.get("loc", ()))
        message = _message(error)
        details.append({"field": field, "code": error.get("type", "invalid"), "message": message})
    return details


def error_response(api: NinjaAPI, request, status: int, code: str, message: str, **extra):
    body = {"code": code, "message": message}
    body.update({k: v for k, v in extra.items() if v})
    return api.create_response(request, body, status=status)


def register(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(NinjaValidationError)
    def invalid_request(request, exc: NinjaValidationError):
        details = validation_details(exc.errors)
        first = details[0] if details else {"field": "", "message": "requête invalide"}
        where = f"{first['field']} : " if first["field"] else ""
        more = f" (et {len(details) - 1} autre(s) erreur(s))" if len(details) > 1 else ""
        return error_response(
            api,
            request,
            422,
            "invalid_request",
            f"Requête invalide : {where}{first['message']}{more}.",
            field=first["field"],
            details=details,
        )

    @api.exception_handler(AuthenticationError)
    def unauthorized(request, exc):
        response = error_response(
            api,
            request,
            401,
            "unauthorized",
            "Authentification requise : en-tête « Authorization: Bearer <jeton> » absent, "
            "jeton inconnu ou révoqué, ou utilisateur qui n'est plus membre de la société.",
        )
        response["WWW-Authenticate"] = 'Bearer realm="encaisse"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            return error_response(
                api,
                request,
                400,
                "invalid_json",
                "Le corps de la requête n'est pas un JSON valide.",
            )
        return error_response(api, request, exc.status_code, "http_error", str(exc))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        return error_response(
            api, request, 413, "too_large", "Le corps de la requête est trop volumineux."
        )

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request, exc):
        return error_response(api, request, 400, "bad_request", "Requête refusée.")

    @api.exception_handler(IntegrityError)
    def integrity_error(request, exc):
        logger.warning("API: integrity error not caught by validation: %s", exc)
        return error_response(
            api,
            request,
            409,
            "conflict",
            "La modification entre en conflit avec une autre : réessayez.",
        )

    @api.exception_handler(DataError)
    def data_error(request, exc):
        logger.warning("API: data error not caught by validation: %s", exc)
        return error_response(
            api, request, 422, "invalid_value", "Une valeur dépasse ce que la base accepte."
        )
