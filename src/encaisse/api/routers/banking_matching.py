"""Matching a bank line by hand (`/bank-lines/{id}/match`), undoing it, reading the
engine's proposal. The lines' list is the import lane's router."""

from ninja import Router

from encaisse.banking.models import BankLine, BankMatch
from encaisse.banking.services import matching
from encaisse.customers.models import Customer
from encaisse.errors import ValidationFailed
from encaisse.receivables.models import Installment, Payment, Refund, RemittanceSlip
from encaisse.sales.models import Invoice

from ..errors import WRITE, responses
from ..schemas.banking_matching import (
    LineMatchIn,
    LineProposalsOut,
    LineUnmatchIn,
    MatchedLineOut,
)
from . import get_or_404

router = Router(tags=["rapprochement bancaire"])
NOT_FOUND = "Ligne de relevé introuvable."


def _line(company, pk: int) -> BankLine:
    return get_or_404(BankLine.objects.filter(company=company), pk, NOT_FOUND)


def _out(line: BankLine) -> dict:
    line.refresh_from_db()
    return {
        "id": line.pk,
        "booking_date": line.booking_date,
        "amount": line.amount,
        "label": line.label,
        "status": line.status,
        "matches": list(BankMatch.objects.filter(line=line).order_by("pk")),
    }


def _allocations(company, items, where: str):
    out = []
    for index, item in enumerate(items or (), start=1):
        if (item.installment is None) == (item.invoice is None):
            raise ValidationFailed(
                "installment_or_invoice",
                "Indiquez l'échéance ou la facture, pas les deux.",
                f"{where}.{index}",
            )
        if item.installment is not None:
            target = get_or_404(
                Installment.objects.filter(company=company),
                item.installment,
                "Échéance introuvable.",
            )
        else:
            target = get_or_404(
                Invoice.objects.filter(company=company).exclude(number=""),
                item.invoice,
                "Facture introuvable.",
            )
        out.append((target, item.amount))
    return out


@router.post(
    "/{int:id}/match",
    response=responses({200: MatchedLineOut}, WRITE, 404),
    summary="Rapprocher une ligne de relevé (factures, règlement, bordereau, "
    "remboursement ou compte)",
)
def match(request, id: int, payload: LineMatchIn):
    company, by = request.company, request.user
    line = _line(company, id)
    modes = [
        payload.allocations is not None or payload.customer is not None,
        payload.parts is not None,
        payload.payments is not None,
        payload.remittance is not None,
        payload.refund is not None,
        payload.account is not None or payload.label is not None,
    ]
    if sum(modes) != 1:
        raise ValidationFailed(
            "one_way",
            "Indiquez une seule façon de rapprocher : factures, répartition, règlements, "
            "bordereau, remboursement ou compte.",
            None,
        )
    if payload.parts is not None:
        parts = [
            matching.Part(
                customer=None,
                allocations=_allocations(company, part.allocations, f"parts.{n}.allocations"),
                write_off=part.write_off,
            )
            for n, part in enumerate(payload.parts, start=1)
        ]
        for part, given in zip(parts, payload.parts, strict=True):
            if given.customer is not None:
                part.customer = get_or_404(
                    Customer.objects.filter(company=company), given.customer, "Client introuvable."
                )
        matching.split_line(line, parts, by=by)
    elif modes[0]:
        customer = None
        if payload.customer is not None:
            customer = get_or_404(
                Customer.objects.filter(company=company), payload.customer, "Client introuvable."
            )
        matching.match_line(
            line,
            _allocations(company, payload.allocations, "allocations"),
            customer=customer,
            by=by,
            write_off=payload.write_off,
        )
    elif payload.payments is not None:
        for pk in payload.payments:
            get_or_404(Payment.objects.filter(company=company), pk, "Règlement introuvable.")
        matching.match_payments(line, payload.payments, by=by)
    elif payload.remittance is not None:
        slip = get_or_404(
            RemittanceSlip.objects.filter(company=company),
            payload.remittance,
            "Bordereau introuvable.",
        )
        matching.match_remittance(line, slip, by=by)
    elif payload.refund is not None:
        refund = get_or_404(
            Refund.objects.filter(company=company), payload.refund, "Remboursement introuvable."
        )
        matching.match_refund(line, refund, by=by)
    else:
        matching.assign_line(line, payload.account or "", payload.label or "", by=by)
    return _out(line)


@router.post(
    "/{int:id}/unmatch",
    response=responses({200: MatchedLineOut}, WRITE, 404),
    summary="Annuler le rapprochement d'une ligne de relevé",
)
def unmatch(request, id: int, payload: LineUnmatchIn):
    line = _line(request.company, id)
    matching.unmatch_line(line, by=request.user, reason=payload.reason)
    return _out(line)


@router.get(
    "/{int:id}/proposals",
    response=responses({200: LineProposalsOut}, 404),
    summary="Candidats proposés par le rapprochement automatique",
)
def proposals(request, id: int):
    line = _line(request.company, id)
    proposal = getattr(line, "proposal", None)
    if proposal is None:
        return {"line": line.pk, "score": 0, "candidates": []}
    return {"line": line.pk, "score": proposal.score, "candidates": proposal.candidates}
