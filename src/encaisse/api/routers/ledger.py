from django.http import HttpResponse
from ninja import Query, Router

from encaisse.companies.permissions import EXPORT_LEDGER, require
from encaisse.ledger.fec import ENCODING, export_fec

from ..errors import READ, responses
from ..schemas.reports import FecFilters

router = Router(tags=["comptabilité"])


@router.get(
    "/fec",
    response=responses({}, READ, 403),
    summary="Fichier des écritures comptables (FEC) d'un exercice",
    openapi_extra={
        "responses": {
            200: {
                "description": "Le fichier FEC, nommé SIRENFECAAAAMMJJ.txt.",
                "content": {f"text/plain; charset={ENCODING}": {"schema": {"type": "string"}}},
            }
        }
    },
)
def get_fec(request, filters: Query[FecFilters]):
    # The whole books: admin and accounting only, as on the web FEC page.
    require(request.user, request.company, EXPORT_LEDGER)
    name, content = export_fec(request.company, filters.year)
    response = HttpResponse(content, content_type=f"text/plain; charset={ENCODING}")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
