"""Any other path under /api/: a JSON 404 (a non-numeric id, a trailing slash...)."""

from ninja import Router

from encaisse.errors import NotFound

router = Router()
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@router.api_operation(METHODS, "/{path:rest}", include_in_schema=False, auth=None)
def unknown_path(request, rest: str):
    raise NotFound("Adresse inconnue dans l'API.", code="unknown_path")
