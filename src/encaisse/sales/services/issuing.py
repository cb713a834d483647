"""Issuing a draft: the last checks, the number, the snapshots, and the freeze."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from encaisse.audit import services as audit
from encaisse.catalog.models import ItemKind
from encaisse.companies.models import Company
from encaisse.companies.permissions import ISSUE_CREDIT_NOTES, ISSUE_INVOICES, require
from encaisse.companies.sequences import lock_sequence
from encaisse.customers import credit
from encaisse.documents.archive import archive_issued
from encaisse.errors import Conflict, ValidationFailed
from encaisse.ledger.periods import ensure_open
from encaisse.ledger.posting import post_invoice
from encaisse.money import format_eur
from encaisse.receivables.services.allocation import settle_credited_invoice
from encaisse.receivables.services.installments import create_installments

from .. import schedule as schedules
from ..mentions import missing_mentions
from ..models import DocumentKind, DocumentStatus, Invoice, OperationNature
from ..terms import check_terms, describe, due_date
from ..totals import compute_totals
from . import credit_notes

RECOVERY_FEE_MENTION = (
    "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 € "
    "(art. L.441-10 et D.441-5 du Code de commerce)."
)
VAT_ON_DEBITS_MENTION = "Option pour le paiement de la taxe d'après les débits."


def format_number(prefix: str, year: int, number: int) -> str:
    return f"{prefix}{year}-{number:05d}"


def _operation_nature(lines) -> str:
    kinds = {line.item_kind for line in lines}
    if kinds == {ItemKind.GOODS}:
        return OperationNature.GOODS
    if kinds == {ItemKind.SERVICE}:
        return OperationNature.SERVICES
    return OperationNature.MIXED


def seller_snapshot(company: Company) -> dict:
    return {
        "legal_name": company.legal_name,
        "trade_name": company.trade_name,
        "legal_form": company.legal_form,
        "share_capital": str(company.share_capital) if company.share_capital is not None else "",
        "siren": company.siren,
        "siret": company.siret,
        "rcs_city": company.rcs_city,
        "vat_number": company.vat_number,
        "address_line1": company.address_line1,
        "address_line2": company.address_line2,
        "postal_code": company.postal_code,
        "city": company.city,
        "country": company.country,
        "email": company.email,
        "phone": company.phone,
        "iban": company.iban,
        "bic": company.bic,
        "einvoicing_address": company.einvoicing_address,
    }


def buyer_snapshot(customer) -> dict:
    return {
        "legal_name": customer.legal_name,
        "kind": customer.kind,
        "siren": customer.siren,
        "siret": customer.siret,
        "vat_number": customer.vat_number,
        "email": customer.email,
        "billing_address": customer.billing_address,
        "delivery_address": customer.delivery_address,
        "einvoicing_address": customer.einvoicing_address,
    }


def issue_invoice(
    invoice: Invoice, *, by, on: dt.date | None = None, override_reason: str = ""
) -> Invoice:
    """Issue a draft invoice or credit note dated `on` (default: today).

    Refuses, changing nothing, when a mandatory mention is missing, the terms exceed the
    legal cap, the date goes back before the last document of the series, a credit
    note credits more than what remains, or an invoice takes the customer over its credit
    limit without an `override_reason` from a user with the right. Otherwise assigns the
    next number of the series under a row lock and freezes the document.
    """
    today = timezone.localdate()
    on = on or today
    with transaction.atomic():
        # One query for the document, its company and its customer as they are now (the
        # lock is on the document's row only, of=self: issuers must not queue on the
        # company row; numbering has its own lock, the sequence row's, below), then its
        # lines and allowances, prefetched so that everything after this (the ledger
        # posting) reads them from memory rather than from the database again.
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("company", "customer")
            .prefetch_related("lines", "allowances")
            .get(pk=invoice.pk)
        )
        company = invoice.company
        customer = invoice.customer
        credit_note = invoice.kind == DocumentKind.CREDIT_NOTE
        require(by, company, ISSUE_CREDIT_NOTES if credit_note else ISSUE_INVOICES)
        if invoice.status == DocumentStatus.ISSUED:
            raise Conflict(
                "already_issued", f"{invoice} est déjà {invoice.issued_word} ; rien n'a changé."
            )
        if on > today:
            raise ValidationFailed(
                "future_date", "Un document ne peut pas être daté d'un jour à venir.", "issue_date"
            )
        ensure_open(company, on, "issue_date")
        lines = list(invoice.lines.all())
        allowances = list(invoice.allowances.all())
        check_terms(invoice.terms_kind, invoice.terms_days)
        missing = missing_mentions(company, customer, lines)
        if missing:
            raise ValidationFailed(
                "missing_mentions",
                "Mentions obligatoires manquantes : "
                + " ; ".join(item["message"] for item in missing)
                + ".",
                missing[0]["field"],
                details=missing,
            )
        if credit_note:
            original = Invoice.objects.select_for_update().get(pk=invoice.credited_invoice_id)
            if on < original.issue_date:
                raise ValidationFailed(
                    "credit_note_before_invoice",
                    f"L'avoir ne peut pas être antérieur à la facture {original.number} "
                    f"du {original.issue_date:%d/%m/%Y}.",
                    "issue_date",
                )
            credit_notes.check_creditable(original, lines, allowances)

        # Everything that does not depend on the number is computed before the sequence
        # row is locked, so that the lock (held until commit) is held for less time.
        totals = compute_totals(lines, allowances)
        # Before the number: a refused invoice consumes none. Credit notes lower the
        # exposure: never blocked.
        excess = blocked_level = None
        if not credit_note:
            from encaisse.dunning.scenarios import check_not_blocked  # dunning imports sales

            excess = credit.check_issue(
                customer, totals.incl_vat, by=by, override_reason=override_reason
            )
            blocked_level = check_not_blocked(customer, by=by, override_reason=override_reason)
        invoice.issue_date = on
        invoice.delivery_date = invoice.delivery_date or on
        invoice.due_date = due_date(on, invoice.terms_kind, invoice.terms_days)
        # A schedule's days and percentages become dates and amounts now, checked again
        # for this issue date and final total; the invoice is due at its last installment.
        installments = schedules.resolve(
            invoice.schedule or [], totals.incl_vat, on, invoice.terms_kind
        )
        if installments:
            invoice.schedule = schedules.frozen(installments, invoice.schedule)
            invoice.due_date = installments[-1].due_date
        invoice.operation_nature = _operation_nature(lines)
        invoice.total_excl_vat = totals.excl_vat
        invoice.total_vat = totals.vat
        invoice.total_incl_vat = totals.incl_vat
        invoice.seller = seller_snapshot(company)
        invoice.buyer = buyer_snapshot(customer)
        invoice.mentions = {
            "payment_terms": schedules.describe(installments)
            if installments
            else describe(invoice.terms_kind, invoice.terms_days),
            "late_penalty_clause": company.late_penalty_clause,
            # The contractual rate (percent) the penalties of this invoice use; "" = legal.
            "late_penalty_rate": ""
            if company.late_penalty_rate is None
            else str(company.late_penalty_rate),
            "early_payment_discount_clause": company.early_payment_discount_clause,
            "recovery_fee": RECOVERY_FEE_MENTION if customer.is_professional else "",
            "vat_on_debits": VAT_ON_DEBITS_MENTION if company.vat_on_debits else "",
            "operation_nature": OperationNature(invoice.operation_nature).label,
        }
        if credit_note:
            invoice.mentions["credited_invoice"] = {
                "number": original.number,
                "issue_date": original.issue_date.isoformat(),
            }

        sequence = lock_sequence(company, invoice.kind, on.year)
        if sequence.last_date and on < sequence.last_date:
            raise ValidationFailed(
                "date_before_last_document",
                f"La date du {on:%d/%m/%Y} est antérieure à celle du dernier document de la "
                f"série ({sequence.last_date:%d/%m/%Y}) : la numérotation doit rester "
                "chronologique.",
                "issue_date",
            )
        sequence.last_number += 1
        sequence.last_date = on
        sequence.save(update_fields=["last_number", "last_date"])

        prefix = company.credit_note_prefix if credit_note else company.invoice_prefix
        invoice.status = DocumentStatus.ISSUED
        invoice.sequence_year = on.year
        invoice.sequence_number = sequence.last_number
        invoice.number = format_number(prefix, on.year, sequence.last_number)
        invoice.issued_by = audit.actor(by)
        invoice.issued_at = timezone.now()
        invoice.save()
        post_invoice(invoice)
        if credit_note:
            settle_credited_invoice(invoice, by=by)
        else:
            create_installments(invoice)
        audit.record(
            "credit_note.issued" if credit_note else "invoice.issued",
            invoice,
            by=by,
            changes={
                "number": invoice.number,
                "issue_date": on,
                "total_incl_vat": format_eur(invoice.total_incl_vat),
            },
        )
        if excess is not None:
            audit.record(
                "invoice.credit_override",
                invoice,
                by=by,
                changes={
                    "reason": override_reason.strip(),
                    "credit_limit": format_eur(excess.limit),
                    "exposure": format_eur(excess.exposure),
                    "over_by": format_eur(excess.over_by),
                },
            )
        if blocked_level is not None:
            audit.record(
                "invoice.dunning_override",
                invoice,
                by=by,
                changes={"reason": override_reason.strip(), "dunning_level": blocked_level},
            )
        # The document as issued (Factur-X PDF, CII, UBL), rendered once and stored in the
        # archive's chain; in this transaction: no issued document without its files.
        archive_issued(invoice)
    return invoice
