"""The REST API: `/api/`, OpenAPI at `/api/openapi.json`, docs page at `/api/docs`."""

from ninja import NinjaAPI, Swagger

from . import errors
from .auth import TokenAuth
from .parser import DecimalJSONParser
from .routers import (
    banking_matching,
    banking_report,
    collection,
    customers,
    disputes,
    dunning,
    invoices,
    ledger,
    payments,
    products,
    reports,
)

DESCRIPTION = """
API REST d'encaisse. Authentification : `Authorization: Bearer <jeton>` (jeton créé par
`encaisse create-token UTILISATEUR --company SIREN`). Le jeton agit au nom de son
utilisateur, dans sa société, avec son rôle.

Montants et quantités : envoyés en texte (`"12.50"`) ou en nombre, jamais arrondis en
flottant ; rendus en texte exact (`"123.40"`).

Erreurs : JSON `{"code", "message", "field"?, "details"?}` avec un statut 4xx. Les
positions de liste dans `field` comptent à partir de 1 (`lines.1.quantity` est la
première ligne).
"""

api = NinjaAPI(
    title="encaisse API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    parser=DecimalJSONParser(),
    urls_namespace="api",
    # Swagger UI from ninja's own static files ("ninja" in INSTALLED_APPS), not a CDN: the
    # docs page works without internet. No online validator badge: it would send the
    # schema to an outside host.
    docs=Swagger(settings={"validatorUrl": None}),
)
errors.register(api)
api.add_router("/customers", customers.router)
api.add_router("/products", products.router)
api.add_router("/invoices", invoices.router)
api.add_router("/invoices", collection.router)
api.add_router("/disputes", disputes.router)
api.add_router("/promises", disputes.promises_router)
api.add_router("/dunning", dunning.router)
api.add_router("/payments", payments.router)
api.add_router("/allocations", payments.allocations_router)
api.add_router("/reports", reports.router)
api.add_router("/ledger", ledger.router)
# --- match lane ---
api.add_router("/bank-lines", banking_matching.router)
# --- report lane (banking) ---
api.add_router("/reports", banking_report.router)
