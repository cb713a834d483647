"""Penalties claimed or waived: a penalty invoice to the customer, or a waiver with a
reason, and what of an invoice's penalties is still outstanding.

The engine (collection.penalties) says what an invoice's lateness has cost up to a day;
a PenaltyClaim row records what of it was invoiced or waived. What is still outstanding
is the engine's figure minus the rows (never below zero: a payment dated back after a
claim can lower the engine's figure), and the 40 EUR recovery fee is due once per
invoice, whatever the number of reminders or claims (D.441-5).

A consumer owes no L.441-10 penalty nor fee, only interest at the legal rate from the
formal notice (collection.penalties): it may be waived here, and is claimed by the
reminders, but a penalty invoice is never issued to a consumer.

A penalty invoice is an ordinary invoice (sales services: numbered, archived, posted,
sent as an e-invoice) whose lines are outside the scope of VAT: penalties and the fee
are damages, not the price of a supply (CGI art. 256; BOI-TVA-BASE-10-10-10). They are
category "O" of EN 16931 (Exemption.OUT_OF_SCOPE, at 0 %, reason "Hors champ
d'application de la TVA"); such an e-invoice carries no VAT identifier (BR-O-02), which
documents.einvoice already handles, and passes the official schematrons.
"""

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import Max, Sum

from encaisse.audit import services as audit
from encaisse.catalog.models import ItemKind, Unit
from encaisse.catalog.vat import DEFAULT_REASONS, Exemption
from encaisse.companies.permissions import COLLECT, EDIT_INVOICES, ISSUE_INVOICES, require
from encaisse.errors import Conflict, NotFound, ValidationFailed
from encaisse.legal import LatePaymentRegime, late_payment_regime
from encaisse.money import ZERO, format_eur, q2
from encaisse.receivables.services.payments import not_in_future, parse_date
from encaisse.sales.models import DocumentStatus, Invoice
from encaisse.sales.services import create_invoice, issue_invoice
from encaisse.validation import clean_column

from .models import PenaltyClaim, PenaltyClaimKind
from .penalties import DAY, PenaltyTable
from .penalties import penalties as penalty_table

OUT_OF_SCOPE_REASON = DEFAULT_REASONS[Exemption.OUT_OF_SCOPE]  # "Hors champ d'application…"
FEE_LABEL = "Indemnité forfaitaire pour frais de recouvrement (art. D.441-5)"


class Outstanding(NamedTuple):
    """Penalties and recovery fee of one invoice not yet invoiced nor waived."""

    penalties: Decimal
    recovery_fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.penalties + self.recovery_fee


def claimed(invoice_ids) -> dict[int, Outstanding]:
    """{invoice id: (penalties, fee) already invoiced or waived}, in one query, for the
    dunning run that reads many invoices (pass the result to `outstanding`)."""
    rows = (
        PenaltyClaim.objects.filter(invoice_id__in=list(invoice_ids))
        .values("invoice_id")
        .annotate(penalties=Sum("penalties"), fee=Sum("recovery_fee"))
    )
    return {r["invoice_id"]: Outstanding(q2(r["penalties"]), q2(r["fee"])) for r in rows}


def outstanding(
    invoice: Invoice,
    as_of: dt.date,
    *,
    table: PenaltyTable | None = None,
    already: Outstanding | None = None,
) -> Outstanding:
    """What of `invoice`'s penalties and recovery fee up to `as_of` is still to claim:
    the engine's amounts minus what PenaltyClaim rows already invoiced or waived; none
    on a penalty invoice itself.

    `table` (the engine's table for this invoice and day) and `already` (from `claimed`)
    save their queries when the caller has them. Raises as the engine does: Conflict for
    a draft or a credit note, ValidationFailed for a day without a known ECB rate.
    """
    table = table if table is not None else penalty_table(invoice, as_of)
    if not table.total or is_penalty_invoice(invoice):
        return Outstanding(ZERO, ZERO)
    if already is None:
        already = claimed([invoice.pk]).get(invoice.pk, Outstanding(ZERO, ZERO))
    return Outstanding(
        max(table.penalties - already.penalties, ZERO),
        max(table.recovery_fee - already.recovery_fee, ZERO),
    )


def is_penalty_invoice(invoice: Invoice) -> bool:
    """Penalties are not claimed on penalties: interest on interest is only due under
    the strict terms of art. 1343-2 of the Code civil, which a reminder cannot meet."""
    return PenaltyClaim.objects.filter(penalty_invoice_id=invoice.pk).exists()


def claims(invoice: Invoice):
    """The claims and waivers of one late invoice, oldest first (the invoice page)."""
    return PenaltyClaim.objects.filter(invoice=invoice).select_related("penalty_invoice", "by")


# ---------------------------------------------------------------- checks


def _as_of(value) -> dt.date:
    return not_in_future(parse_date(value, "as_of", "La date d'arrêté des pénalités"), "as_of")


def _locked(company, invoices) -> list[Invoice]:
    """The company's invoices named by `invoices` (objects or ids), locked in id order
    (two claims at once on one invoice queue, and never deadlock on each other)."""
    ids = []
    for item in invoices or []:
        pk = getattr(item, "pk", item)
        if not str(pk).isdigit():
            raise NotFound("Facture introuvable.")
        if int(pk) not in ids:
            ids.append(int(pk))
    if not ids:
        raise ValidationFailed("required", "Choisissez au moins une facture en retard.", "invoices")
    found = list(
        Invoice.objects.select_for_update(of=("self",))
        .select_related("company", "customer")
        .filter(company=company, pk__in=ids)
        .order_by("pk")
    )
    if len(found) != len(ids):
        raise NotFound("Facture introuvable.")
    return found


def _check_issued(invoice: Invoice) -> None:
    if not invoice.kind_spec.creates_receivable or invoice.status != DocumentStatus.ISSUED:
        raise Conflict(
            "not_an_issued_invoice",
            f"{invoice} n'est pas une facture émise : pas de pénalités à réclamer.",
        )


def _check_commercial(invoice: Invoice) -> None:
    if late_payment_regime(invoice) is LatePaymentRegime.CONSUMER:
        name = invoice.customer.legal_name
        raise Conflict(
            "consumer_penalty_invoice",
            f"Pas de facture de pénalités pour un particulier : {name} ne doit ni "
            "pénalités de retard (art. L.441-10 du Code de commerce) ni indemnité "
            "forfaitaire (art. D.441-5), seulement des intérêts au taux légal à compter de "
            "la mise en demeure (art. 1231-6 du Code civil), que réclament les relances.",
        )


def _nothing_outstanding(invoice: Invoice, as_of: dt.date, table: PenaltyTable):
    why = (
        "elle n'était pas en retard"
        if not table.late
        else "aucun intérêt ne court avant la mise en demeure d'un particulier"
        if not table.periods
        else "c'est une facture de pénalités"
        if is_penalty_invoice(invoice)
        else "ses pénalités ont déjà été facturées ou abandonnées"
    )
    return ValidationFailed(
        "nothing_outstanding",
        f"Rien à réclamer sur la facture {invoice.number} au {as_of:%d/%m/%Y} : {why}.",
        "invoices",
    )


def _span(invoice: Invoice, table: PenaltyTable) -> tuple[dt.date, dt.date]:
    """The days the outstanding penalties cover: from the day after the last claim (or
    the first late day) to the last late day counted."""
    start = min(p.start for p in table.periods)
    end = max(p.end for p in table.periods)
    last = PenaltyClaim.objects.filter(invoice=invoice).aggregate(last=Max("as_of"))["last"]
    if last is not None and start <= last < end:
        start = last + DAY
    return start, end


# ---------------------------------------------------------------- invoicing


def invoice_penalties(company, invoices, as_of, *, by, override_reason: str = "") -> Invoice:
    """Create and issue (today) one penalty invoice to the customer of the late
    `invoices`, for their penalties up to `as_of` and their recovery fees still
    outstanding; one line per late invoice and amount, outside the scope of VAT.

    Refuses (changing nothing) invoices of another company, not issued, of several
    customers, of a consumer (who owes no penalties: `_check_commercial`), or with
    nothing outstanding. `override_reason` goes to issue_invoice for
    a customer over its credit limit (the issuing right to override is checked there).
    """
    require(by, company, ISSUE_INVOICES)
    require(by, company, EDIT_INVOICES)
    as_of = _as_of(as_of)
    with transaction.atomic():
        late = _locked(company, invoices)
        for invoice in late:
            _check_issued(invoice)
            _check_commercial(invoice)
        customers = {invoice.customer_id for invoice in late}
        if len(customers) > 1:
            raise ValidationFailed(
                "several_customers",
                "Une facture de pénalités s'adresse à un seul client : les factures "
                "choisies sont de clients différents.",
                "invoices",
            )
        done = claimed(i.pk for i in late)
        lines, rows = [], []
        for invoice in late:
            table = penalty_table(invoice, as_of)
            due = outstanding(invoice, as_of, table=table, already=done.get(invoice.pk))
            if not due.total:
                raise _nothing_outstanding(invoice, as_of, table)
            of = f"facture {invoice.number} du {invoice.issue_date:%d/%m/%Y}"
            if due.penalties:
                start, end = _span(invoice, table)
                lines.append(
                    _line(
                        f"Pénalités de retard sur {of}, du {start:%d/%m/%Y} au {end:%d/%m/%Y}",
                        due.penalties,
                    )
                )
            if due.recovery_fee:
                lines.append(_line(f"{FEE_LABEL}, {of}", due.recovery_fee))
            rows.append((invoice, due))
        customer = late[0].customer
        draft = create_invoice(
            company,
            customer=customer,
            lines=lines,
            by=by,
            notes=_note(late, as_of),
        )
        issued = issue_invoice(draft, by=by, override_reason=override_reason)
        for invoice, due in rows:
            PenaltyClaim.objects.create(
                company=company,
                invoice=invoice,
                as_of=as_of,
                penalties=due.penalties,
                recovery_fee=due.recovery_fee,
                kind=PenaltyClaimKind.INVOICED,
                penalty_invoice=issued,
                by=audit.actor(by),
            )
            audit.record(
                "invoice.penalties_invoiced",
                invoice,
                by=by,
                changes={
                    "penalty_invoice": issued.number,
                    "as_of": as_of,
                    "penalties": format_eur(due.penalties),
                    "recovery_fee": format_eur(due.recovery_fee),
                },
            )
    return issued


def _line(description: str, amount: Decimal) -> dict:
    return {
        "description": description,
        "item_kind": ItemKind.SERVICE,
        "unit": Unit.LUMP_SUM,
        "quantity": "1",
        "unit_price": str(amount),
        "vat_rate": "0",
        "vat_exemption": Exemption.OUT_OF_SCOPE,
        "vat_exemption_reason": OUT_OF_SCOPE_REASON,
    }


def _note(late: list[Invoice], as_of: dt.date) -> str:
    listed = ", ".join(f"{i.number} du {i.issue_date:%d/%m/%Y}" for i in late)
    plural = "s" if len(late) > 1 else ""
    return (
        f"Pénalités de retard (art. L.441-10 du Code de commerce), arrêtées au "
        f"{as_of:%d/%m/%Y}, et indemnité forfaitaire pour frais de recouvrement (art. "
        f"D.441-5) au titre de la facture{plural} réglée{plural} ou restée{plural} impayée"
        f"{plural} après échéance : {listed}. "
        f"{OUT_OF_SCOPE_REASON} : indemnités sans contrepartie d'une livraison ou d'une "
        "prestation (art. 256 du CGI)."
    )


# ---------------------------------------------------------------- waiving


def waive_penalties(invoice: Invoice, as_of, reason: str, *, by) -> PenaltyClaim:
    """Record that what is outstanding on `invoice` up to `as_of` (penalties and fee)
    is not claimed, for `reason` (required): later figures start from there."""
    require(by, invoice.company, COLLECT)
    reason = clean_column(PenaltyClaim, "reason", (reason or "").strip())
    if not reason:
        raise ValidationFailed(
            "reason_required", "Indiquez pourquoi les pénalités ne sont pas réclamées.", "reason"
        )
    as_of = _as_of(as_of)
    with transaction.atomic():
        (invoice,) = _locked(invoice.company, [invoice])
        _check_issued(invoice)
        table = penalty_table(invoice, as_of)
        due = outstanding(invoice, as_of, table=table)
        if not due.total:
            raise _nothing_outstanding(invoice, as_of, table)
        claim = PenaltyClaim.objects.create(
            company=invoice.company,
            invoice=invoice,
            as_of=as_of,
            penalties=due.penalties,
            recovery_fee=due.recovery_fee,
            kind=PenaltyClaimKind.WAIVED,
            reason=reason,
            by=audit.actor(by),
        )
        audit.record(
            "invoice.penalties_waived",
            invoice,
            by=by,
            changes={
                "as_of": as_of,
                "penalties": format_eur(due.penalties),
                "recovery_fee": format_eur(due.recovery_fee),
                "reason": reason,
            },
        )
    return claim
