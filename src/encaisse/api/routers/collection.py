"""Collection: late-payment penalties of an invoice."""

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema

from encaisse.collection.penalties import penalties
from encaisse.legal import RECOVERY_FEE
from encaisse.money import format_eur
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
    regime: Literal["commercial", "consumer"] = Field(  # LatePaymentRegime's values
        description="commercial : pénalités de l'art. L.441-10 du Code de commerce dès le "
        f"lendemain de l'échéance et indemnité forfaitaire de {format_eur(RECOVERY_FEE)} "
        "(client professionnel) ; "
        "consumer : intérêts au taux légal à compter du lendemain de la mise en demeure "
        "(art. 1231-6 et 1344-1 du Code civil), sans indemnité (client particulier)."
    )
    formal_notice_on: dt.date | None = Field(
        description="Particulier : date d'envoi de la première mise en demeure (aucun "
        "intérêt avant) ; null sinon ou avant toute mise en demeure."
    )
    day_count: int = Field(description="Base de calcul : 365 ou 360 jours par an.")
    periods: list[PenaltyPeriodOut]
    penalties: MoneyOut = Field(
        description="Total des pénalités, ou des intérêts au taux légal d'un particulier "
        "(hors champ de la TVA)."
    )
    recovery_fee: MoneyOut = Field(
        description=f"Indemnité forfaitaire de recouvrement ({format_eur(RECOVERY_FEE)}, client "
        "professionnel seulement)."
    )
    total: MoneyOut = Field(description="Pénalités (ou intérêts) + indemnité réclamées.")


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
        "regime": table.regime.value,
        "formal_notice_on": table.formal_notice_on,
        "day_count": table.day_count,
        "periods": [{**vars(p), "from": p.start, "to": p.end} for p in table.periods],
        "penalties": table.penalties,
        "recovery_fee": table.recovery_fee,
        "total": table.total,
    }
