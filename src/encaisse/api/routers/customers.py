from ninja import Query, Router

from encaisse.customers import services
from encaisse.customers.models import Customer
from encaisse.documents.responses import pdf_inline
from encaisse.documents.statements import statement_filename, statement_pdf
from encaisse.dunning.collection_file import collection_file
from encaisse.reporting.statement import statement

from ..errors import READ, WRITE, responses
from ..pagination import page
from ..schemas.collection_file import CollectionFileOut
from ..schemas.customers import (
    CustomerFilters,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
)
from ..schemas.reports import AsOfFilter, StatementOut
from . import as_of_date, get_or_404

router = Router(tags=["clients"])
NOT_FOUND = "Client introuvable."


@router.get("", response=responses({200: CustomerPage}, READ), summary="Liste des clients")
def list_customers(request, filters: Query[CustomerFilters]):
    return page(services.search(request.company, filters.q).order_by("legal_name", "id"), filters)


@router.post("", response=responses({201: CustomerOut}, WRITE), summary="Créer un client")
def create_customer(request, payload: CustomerIn):
    data = payload.model_dump(exclude_unset=True)
    customer = services.create_customer(request.company, data, by=request.user)
    return 201, Customer.objects.get(pk=customer.pk)


@router.get("/{int:id}", response=responses({200: CustomerOut}, 404), summary="Un client")
def get_customer(request, id: int):
    return get_or_404(Customer.objects.filter(company=request.company), id, NOT_FOUND)


@router.patch(
    "/{int:id}", response=responses({200: CustomerOut}, WRITE, 404), summary="Modifier un client"
)
def update_customer(request, id: int, payload: CustomerPatch):
    customer = get_or_404(Customer.objects.filter(company=request.company), id, NOT_FOUND)
    return services.update_customer(
        customer, payload.model_dump(exclude_unset=True), by=request.user
    )


@router.get(
    "/{int:id}/statement",
    response=responses({200: StatementOut}, READ, 404),
    summary="Relevé de compte d'un client à une date",
)
def get_statement(request, id: int, filters: Query[AsOfFilter]):
    customer = get_or_404(Customer.objects.filter(company=request.company), id, NOT_FOUND)
    return statement(customer, as_of_date(filters.as_of))


@router.get(
    "/{int:id}/statement.pdf",
    response=responses({}, READ, 404),
    summary="Relevé de compte d'un client à une date, en PDF",
    openapi_extra={
        "responses": {
            "200": {
                "description": "Le relevé de compte (PDF/A-3b), produit à la demande.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def get_statement_pdf(request, id: int, filters: Query[AsOfFilter]):
    customer = get_or_404(Customer.objects.filter(company=request.company), id, NOT_FOUND)
    as_of = as_of_date(filters.as_of)
    return pdf_inline(statement_pdf(customer, as_of), statement_filename(customer, as_of))


@router.get(
    "/{int:id}/collection",
    response=responses({200: CollectionFileOut}, READ, 404),
    summary="Dossier de recouvrement d'un client à une date",
)
def get_collection_file(request, id: int, filters: Query[AsOfFilter]):
    customer = get_or_404(
        Customer.objects.filter(company=request.company).select_related("company", "collector"),
        id,
        NOT_FOUND,
    )
    return collection_file(customer, as_of_date(filters.as_of))
