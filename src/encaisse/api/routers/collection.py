"""Collection: late-payment penalties of an invoice."""

import datetime as dt

from ninja import Field, Query, Router, Schema

from encaisse.collection.penalties import penalties
from encaisse.sales.models import Invoice

from ..errors import READ, responses
from ..fields import DecimalOut
from ..schemas.payments import MoneyOut
from ..schemas.reports import AsOfFilter
from . import as_of_date, get_or_404
from .invoices import NOT_FOUND

router = Router(tags=["recouvrement"])


class PenaltyPeriodOut(Schema):
    installment: int = Field(description="Numéro de l'échéance de la facture.")
    start: dt.date = Field(alias="from", description="Premier jour de la période.")
    end: dt.date = Field(alias="to", description="Dernier jour de la période (inclus).")
    days: int
    base: MoneyOut = Field(description="Montant TTC impayé pendant la période.")
    rate: DecimalOut = Field(description="Taux annuel en pourcentage.")
    amount: MoneyOut = Field(description="Pénalités de la période, arrondies au centime.")
    source: str = Field(description="Origine du taux.")


class PenaltiesOut(Schema):
    as_of: dt.date
    day_count: int = Field(description="Base de calcul : 365 ou 360 jours par an.")
    periods: list[PenaltyPeriodOut]
    penalties: MoneyOut = Field(description="Total des pénalités (hors champ de la TVA).")
    recovery_fee: MoneyOut = Field(description="Indemnité forfaitaire de recouvrement (40 €).")
    total: MoneyOut = Field(description="Pénalités + indemnité réclamées.")


@router.get(
    "/{int:id}/penalties",
    response=responses({200: PenaltiesOut}, READ, 404, 409),
    summary="Pénalités de retard et indemnité de recouvrement d'une facture à une date",
    by_alias=True,
)
def get_penalties(request, id: int, filters: Query[AsOfFilter]):
    invoice = get_or_404(Invoice.objects.filter(company=request.company), id, NOT_FOUND)
    table = penalties(invoice, as_of_date(filters.as_of))
    return {
        "as_of": table.as_of,
        "day_count": table.day_count,
        "periods": [{**vars(p), "from": p.start, "to": p.end} for p in table.periods],
        "penalties": table.penalties,
        "recovery_fee": table.recovery_fee,
        "total": table.total,
    }
