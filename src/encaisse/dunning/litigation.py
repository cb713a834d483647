"""Pre-litigation cases (dossiers précontentieux): the claim against a customer after a
formal notice, frozen on the day the file is made, its documents (one PDF, one zip of
the exhibits), then what becomes of it.

    prepared ─┬─> agency ──┬─> court ──┬─> recovered            (closed)
              │            │           ├─> doubtful ─┬─> ...
              │            │           └─> irrecoverable        (closed)
              └── (any open status may go to recovered, doubtful or irrecoverable)

"doubtful" is an accounting state as much as a procedural one: the debt moves from 411
to 416 and a provision is booked (6817/491). A doubtful case may still be handed to an
agency or go to court; `provision_amount` (not null) remembers that the debt sits in
416, so recovering or writing it off later takes it out of 416 and reverses the
provision. Writing off posts the loss (654 excl. VAT, the VAT reclaimed) and records
receivables write-offs, so that the customer's balance drops.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Sum

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.collection.claims import outstanding
from encaisse.collection.penalties import PenaltyTable, penalties
from encaisse.companies.permissions import ALLOCATE, COLLECT, require
from encaisse.customers.models import Customer
from encaisse.errors import Conflict, NotFound, ValidationFailed
from encaisse.ledger import chart, posting
from encaisse.ledger.models import JournalEntry, JournalLine
from encaisse.ledger.periods import ensure_open
from encaisse.money import ZERO, format_eur
from encaisse.receivables import selectors
from encaisse.receivables.models import Allocation, Installment, WriteOff
from encaisse.receivables.services.allocation import paid_on, refresh_settled
from encaisse.receivables.services.payments import next_number, not_in_future, parse_date
from encaisse.sales.kinds import codes
from encaisse.sales.models import DocumentStatus, Invoice
from encaisse.validation import clean_column, parse_decimal

from .models import (
    CaseEvent,
    CaseStatus,
    LitigationCase,
    Reminder,
    ReminderItem,
    ReminderStatus,
    Template,
)
from .notices import FORMAL_NOTICE_LEVEL

CLOSED = (CaseStatus.RECOVERED, CaseStatus.IRRECOVERABLE)
# Who may write a debt off or provision it: the accountants' right (the same as for the
# small write-offs of receivables.services.allocation.write_off), since it posts to the
# books. A collector (COLLECT) builds the file and follows the procedure.
WRITE_OFF = ALLOCATE

TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.PREPARED: frozenset(
        {
            CaseStatus.AGENCY,
            CaseStatus.COURT,
            CaseStatus.RECOVERED,
            CaseStatus.DOUBTFUL,
            CaseStatus.IRRECOVERABLE,
        }
    ),
    CaseStatus.AGENCY: frozenset(
        {CaseStatus.COURT, CaseStatus.RECOVERED, CaseStatus.DOUBTFUL, CaseStatus.IRRECOVERABLE}
    ),
    CaseStatus.COURT: frozenset(
        {CaseStatus.RECOVERED, CaseStatus.DOUBTFUL, CaseStatus.IRRECOVERABLE}
    ),
    CaseStatus.DOUBTFUL: frozenset(
        {CaseStatus.AGENCY, CaseStatus.COURT, CaseStatus.RECOVERED, CaseStatus.IRRECOVERABLE}
    ),
    CaseStatus.RECOVERED: frozenset(),
    CaseStatus.IRRECOVERABLE: frozenset(),
}


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class ClaimLine:
    """One invoice of the claim: what is left unpaid, its penalty table, and the
    penalties and fee still to claim (the table's, less what a penalty invoice or a
    waiver already took: collection.claims.outstanding)."""

    invoice: Invoice
    due_date: dt.date
    principal: Decimal
    table: PenaltyTable
    penalties: Decimal
    recovery_fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.penalties + self.recovery_fee


def open_by_invoice(company, customer, invoice_ids, day: dt.date) -> dict[int, Decimal]:
    """{invoice id: amount incl. VAT still open on `day`} for the invoices named."""
    totals: dict[int, Decimal] = {}
    rows = (
        selectors.open_installments(company, day, customer)
        .filter(invoice_id__in=list(invoice_ids))
        .values_list("invoice_id", "open_amount")
    )
    for invoice_id, amount in rows:
        totals[invoice_id] = totals.get(invoice_id, ZERO) + amount
    return totals


def claim_lines(customer, invoices, as_of: dt.date) -> list[ClaimLine]:
    """The claim on `as_of`, invoice by invoice (penalties and the 40 EUR fee from
    collection.penalties, which gives the fee to professional customers only, less what
    was already invoiced or waived)."""
    invoices = list(invoices)
    unpaid = open_by_invoice(customer.company, customer, [i.pk for i in invoices], as_of)
    lines = []
    for invoice in sorted(invoices, key=lambda i: (i.issue_date, i.number)):
        first_due = invoice.installments.order_by("due_date").values_list("due_date", flat=True)
        table = penalties(invoice, as_of)
        owed = outstanding(invoice, as_of, table=table)
        lines.append(
            ClaimLine(
                invoice=invoice,
                due_date=first_due.first() or invoice.due_date,
                principal=unpaid.get(invoice.pk, ZERO),
                table=table,
                penalties=owed.penalties,
                recovery_fee=owed.recovery_fee,
            )
        )
    return lines


def sent_reminders(customer, as_of: dt.date, invoice_ids=None):
    """The reminders sent to `customer` by `as_of` (those naming one of `invoice_ids`
    when given), oldest first."""
    qs = Reminder.objects.filter(
        customer=customer, status=ReminderStatus.SENT, sent_on__lte=as_of
    ).order_by("sent_on", "pk")
    if invoice_ids is not None:
        qs = qs.filter(items__invoice_id__in=list(invoice_ids)).distinct()
    return qs


def formal_notice_of(customer, as_of: dt.date) -> Reminder | None:
    """The last formal notice sent to `customer` by `as_of`."""
    return (
        Reminder.objects.filter(
            customer=customer,
            status=ReminderStatus.SENT,
            template=Template.FORMAL_NOTICE,
            sent_on__lte=as_of,
        )
        .order_by("-sent_on", "-pk")
        .first()
    )


def open_case_of(customer) -> LitigationCase | None:
    return (
        LitigationCase.objects.filter(customer=customer)
        .exclude(status__in=CLOSED)
        .order_by("-pk")
        .first()
    )


def cases(company, status: str | None = None):
    qs = LitigationCase.objects.filter(company=company).select_related("customer")
    if status:
        qs = qs.filter(status=status)
    return qs


def get_case(company, pk) -> LitigationCase:
    try:
        return LitigationCase.objects.select_related("customer", "formal_notice").get(
            company=company, pk=pk
        )
    except (LitigationCase.DoesNotExist, ValueError, TypeError):
        raise NotFound("Dossier précontentieux introuvable.") from None


def allowed_transitions(case: LitigationCase) -> frozenset[str]:
    return TRANSITIONS[case.status]


def entries_of(case: LitigationCase):
    """The journal entries the case's status changes posted."""
    return JournalEntry.objects.filter(
        company=case.company,
        source_type=CaseEvent._meta.label_lower,
        source_id__in=list(case.events.values_list("pk", flat=True)),
    ).prefetch_related("lines__account")


# ---------------------------------------------------------------- opening


def reminded_invoices(customer, as_of: dt.date) -> set[int]:
    """Invoices of `customer` in a reminder sent at level 3 or 4 by `as_of`."""
    return set(
        ReminderItem.objects.filter(
            reminder__customer=customer,
            reminder__status=ReminderStatus.SENT,
            reminder__sent_on__lte=as_of,
            level__gte=FORMAL_NOTICE_LEVEL,
        ).values_list("invoice_id", flat=True)
    )


def eligible_invoices(customer, as_of: dt.date) -> list[Invoice]:
    """The invoices a file made on `as_of` may claim: under formal notice and still due."""
    unpaid = open_by_invoice(customer.company, customer, reminded_invoices(customer, as_of), as_of)
    return list(
        Invoice.objects.filter(pk__in=list(unpaid), customer=customer).order_by(
            "issue_date", "number"
        )
    )


def customers_ready(company):
    """Customers with an item sent at level 3 or 4 and no case in progress."""
    noticed = ReminderItem.objects.filter(
        reminder__customer=OuterRef("pk"),
        reminder__status=ReminderStatus.SENT,
        level__gte=FORMAL_NOTICE_LEVEL,
    )
    in_progress = LitigationCase.objects.filter(customer=OuterRef("pk")).exclude(status__in=CLOSED)
    return (
        Customer.objects.filter(company=company)
        .filter(Exists(noticed))
        .exclude(Exists(in_progress))
        .order_by("legal_name")
    )


def _chosen_invoices(customer, as_of, invoices, reminded: set[int]) -> list[Invoice]:
    issued = Invoice.objects.filter(
        company=customer.company,
        customer=customer,
        kind__in=codes(creates_receivable=True),
        status=DocumentStatus.ISSUED,
    )
    if invoices is None:
        chosen = list(issued.filter(pk__in=reminded))
    else:
        ids = {getattr(i, "pk", i) for i in invoices}
        chosen = list(issued.filter(pk__in=ids))
        if len(chosen) != len(ids):
            raise ValidationFailed(
                "unknown_invoice", "Une des factures choisies n'est pas à ce client.", "invoices"
            )
        outside = sorted(i.number for i in chosen if i.pk not in reminded)
        if outside:
            raise ValidationFailed(
                "invoice_without_formal_notice",
                "Ces factures n'ont pas fait l'objet d'une mise en demeure (relance de "
                f"niveau 3 ou 4 envoyée) : {', '.join(outside)}.",
                "invoices",
            )
    unpaid = open_by_invoice(customer.company, customer, [i.pk for i in chosen], as_of)
    if invoices is not None:
        paid = sorted(i.number for i in chosen if i.pk not in unpaid)
        if paid:
            raise ValidationFailed(
                "invoice_settled",
                f"Ces factures ne sont plus dues au {as_of:%d/%m/%Y} : {', '.join(paid)}.",
                "invoices",
            )
    chosen = [i for i in chosen if i.pk in unpaid]
    if not chosen:
        raise ValidationFailed(
            "nothing_to_claim",
            f"Aucune facture mise en demeure ne reste due au {as_of:%d/%m/%Y}.",
            "invoices",
        )
    return chosen


def open_case(customer, as_of, *, by, invoices=None) -> LitigationCase:
    """Make the pre-litigation file of `customer` on `as_of`: the invoices reminded at
    level 3 or 4 and still owed (or `invoices`, each of which must have been), their
    principal, penalties and recovery fees frozen, the last formal notice, the PDF and
    the zip of the exhibits."""
    company = customer.company
    require(by, company, COLLECT)
    as_of = not_in_future(parse_date(as_of, "opened_on", "La date du dossier"), "opened_on")
    with transaction.atomic():
        # One case at a time per customer: the customer row is the lock two clicks meet.
        type(customer).objects.select_for_update().get(pk=customer.pk)
        current = open_case_of(customer)
        if current is not None:
            raise Conflict(
                "case_already_open",
                f"Le client a déjà un dossier précontentieux en cours ({current}, "
                f"« {current.get_status_display()} ») : il doit être clos avant d'en "
                "constituer un autre.",
            )
        reminded = reminded_invoices(customer, as_of)
        if not reminded:
            raise ValidationFailed(
                "no_formal_notice",
                "Aucune relance de niveau 3 (mise en demeure) ou 4 n'a été envoyée à ce "
                f"client au {as_of:%d/%m/%Y} : la mise en demeure est un préalable au "
                "dossier précontentieux (C. civ. art. 1344).",
                "opened_on",
            )
        chosen = _chosen_invoices(customer, as_of, invoices, reminded)
        lines = claim_lines(customer, chosen, as_of)
        case = LitigationCase.objects.create(
            company=company,
            customer=customer,
            opened_on=as_of,
            formal_notice=formal_notice_of(customer, as_of),
            principal=sum((line.principal for line in lines), ZERO),
            penalties=sum((line.penalties for line in lines), ZERO),
            recovery_fees=sum((line.recovery_fee for line in lines), ZERO),
            created_by=audit.actor(by),
        )
        case.invoices.set(chosen)
        _event(case, CaseStatus.PREPARED, as_of, by, note=f"{len(chosen)} facture(s)")
        build_documents(case)
        audit.record(
            "litigation.opened",
            case,
            by=by,
            changes={
                "customer": customer.legal_name,
                # A joined string: a list would read as an (old, new) pair.
                "claimed_invoices": ", ".join(line.invoice.number for line in lines),
                "total_claimed": format_eur(case.total_claimed),
            },
        )
    return case


def build_documents(case: LitigationCase) -> None:
    """Render and store the file's PDF and zip."""
    # Imported here: documents.litigation reads this module (claim_lines...).
    from encaisse.documents import litigation as documents

    case.file_pdf = documents.case_pdf(case)
    case.file_zip = documents.case_zip(case, case.file_pdf)
    case.save(update_fields=["file_pdf", "file_zip"])


# ---------------------------------------------------------------- status changes


def _event(case, status, on, by, note="") -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, date=on, status=status, note=note, by=audit.actor(by)
    )


def _transition(case: LitigationCase, target: str, on, *, field="on") -> tuple:
    """The locked case and the parsed date, once `target` is allowed from its status."""
    on = not_in_future(parse_date(on or clock.today(), field, "La date"), field)
    case = LitigationCase.objects.select_for_update().get(pk=case.pk)
    if target not in TRANSITIONS[case.status]:
        if case.status in CLOSED:
            message = (
                f"Le dossier est clos (« {case.get_status_display()} » le "
                f"{case.closed_on:%d/%m/%Y}) : son statut ne change plus."
            )
        else:
            message = (
                f"Un dossier au statut « {case.get_status_display()} » ne peut pas passer "
                f"au statut « {CaseStatus(target).label} »."
            )
        raise Conflict("transition_refused", message)
    last = case.events.order_by("-date", "-pk").values_list("date", flat=True).first()
    floor = max(d for d in (case.opened_on, last) if d)
    if on < floor:
        raise ValidationFailed(
            "date_before_last_event",
            f"La date ne peut précéder la dernière étape du dossier ({floor:%d/%m/%Y}).",
            field,
        )
    return case, on


def _set_status(case, status, on, **fields) -> LitigationCase:
    case.status = status
    for name, value in fields.items():
        setattr(case, name, value)
    if status in CLOSED:
        case.closed_on = on
    case.save(update_fields=["status", "closed_on", *fields])
    return case


def transfer_to_agency(case: LitigationCase, agency: str, on=None, *, by) -> LitigationCase:
    """The file handed to a collection agency."""
    require(by, case.company, COLLECT)
    agency = clean_column(LitigationCase, "agency", (agency or "").strip())
    if not agency:
        raise ValidationFailed(
            "required", "Le nom du cabinet de recouvrement est obligatoire.", "agency"
        )
    with transaction.atomic():
        case, on = _transition(case, CaseStatus.AGENCY, on)
        _event(case, CaseStatus.AGENCY, on, by, note=f"Cabinet : {agency}")
        _set_status(case, CaseStatus.AGENCY, on, agency=agency)
        audit.record("litigation.agency", case, by=by, changes={"agency": agency, "date": on})
    return case


def go_to_court(case: LitigationCase, reference: str, on=None, *, by) -> LitigationCase:
    """A court procedure started (injonction de payer, référé-provision, assignation)."""
    require(by, case.company, COLLECT)
    reference = clean_column(
        LitigationCase, "court_reference", (reference or "").strip(), field="reference"
    )
    if not reference:
        raise ValidationFailed(
            "required",
            "La référence de la procédure (n° de requête, de RG...) est obligatoire.",
            "reference",
        )
    with transaction.atomic():
        case, on = _transition(case, CaseStatus.COURT, on)
        _event(case, CaseStatus.COURT, on, by, note=f"Procédure : {reference}")
        _set_status(case, CaseStatus.COURT, on, court_reference=reference)
        audit.record(
            "litigation.court", case, by=by, changes={"court_reference": reference, "date": on}
        )
    return case


def _transferred(case: LitigationCase) -> Decimal:
    """What the doubtful entry moved to 416 (read back from the books)."""
    total = JournalLine.objects.filter(
        entry__company=case.company,
        entry__source_type=CaseEvent._meta.label_lower,
        entry__source_id__in=list(
            case.events.filter(status=CaseStatus.DOUBTFUL).values_list("pk", flat=True)
        ),
        account__number=chart.DOUBTFUL,
    ).aggregate(total=Sum("debit"))["total"]
    return total or ZERO


def _unpaid(case: LitigationCase, on: dt.date) -> dict[int, Decimal]:
    ids = list(case.invoices.values_list("pk", flat=True))
    return open_by_invoice(case.company, case.customer, ids, on)


def mark_recovered(case: LitigationCase, on=None, *, by) -> LitigationCase:
    """The debt was paid (the payments are recorded and allocated as usual): the case is
    closed; a doubtful debt goes back from 416 to 411 and its provision is reversed."""
    require(by, case.company, COLLECT)
    if case.provision_amount is not None:
        require(by, case.company, WRITE_OFF)
    with transaction.atomic():
        case, on = _transition(case, CaseStatus.RECOVERED, on)
        left = sum(_unpaid(case, on).values(), ZERO)
        if left:
            raise Conflict(
                "still_unpaid",
                f"Les factures du dossier restent dues pour {format_eur(left)} au "
                f"{on:%d/%m/%Y} : enregistrez et lettrez les règlements (ou passez le "
                "solde en perte) avant de clore le dossier comme recouvré.",
            )
        event = _event(case, CaseStatus.RECOVERED, on, by)
        if case.provision_amount is not None:
            ensure_open(case.company, on, "on")
            posting.post_doubtful_recovered(
                case, event, transferred=_transferred(case), provision=case.provision_amount
            )
        _set_status(case, CaseStatus.RECOVERED, on)
        audit.record("litigation.recovered", case, by=by, changes={"date": on})
    return case


def vat_free_total(case: LitigationCase, on: dt.date) -> Decimal:
    """The open amount of the case's invoices on `on`, excl. VAT (the most a provision
    may be: VAT is not lost, it is reclaimed when the debt is written off)."""
    unpaid = _unpaid(case, on)
    total = ZERO
    for invoice in case.invoices.filter(pk__in=list(unpaid)):
        total += posting.vat_split(invoice, unpaid[invoice.pk])[0]
    return total


def mark_doubtful(case: LitigationCase, on, provision_amount, *, by) -> LitigationCase:
    """The debt is doubtful: its open part (incl. VAT) moves from 411 to 416 and a
    provision, at most its amount excl. VAT, is booked (6817/491)."""
    require(by, case.company, WRITE_OFF)
    provision = parse_decimal(
        provision_amount, "provision_amount", "Le montant de la provision", places=2
    )
    with transaction.atomic():
        case, on = _transition(case, CaseStatus.DOUBTFUL, on)
        if case.provision_amount is not None:
            raise Conflict("already_doubtful", "La créance est déjà passée en créance douteuse.")
        ensure_open(case.company, on, "on")
        transferred = sum(_unpaid(case, on).values(), ZERO)
        if not transferred:
            raise Conflict(
                "nothing_unpaid",
                f"Les factures du dossier sont réglées au {on:%d/%m/%Y} : "
                "clôturez-le comme recouvré.",
            )
        ceiling = vat_free_total(case, on)
        if provision < 0 or provision > ceiling:
            raise ValidationFailed(
                "provision_over_debt",
                "La provision doit être comprise entre 0 et le montant hors taxes restant "
                f"dû ({format_eur(ceiling)}).",
                "provision_amount",
            )
        event = _event(
            case,
            CaseStatus.DOUBTFUL,
            on,
            by,
            note=f"Transfert en 416 : {format_eur(transferred)} ; "
            f"provision : {format_eur(provision)}",
        )
        posting.post_doubtful(case, event, transferred=transferred, provision=provision)
        _set_status(case, CaseStatus.DOUBTFUL, on, provision_amount=provision)
        audit.record(
            "litigation.doubtful",
            case,
            by=by,
            changes={
                "transferred": format_eur(transferred),
                "provision_amount": format_eur(provision),
                "date": on,
            },
        )
    return case


def write_off_irrecoverable(case: LitigationCase, on=None, *, by) -> LitigationCase:
    """The debt is lost (insolvency closed, certificate of irrecoverability...): what is
    still open is written off in receivables (one write-off per installment, so the
    customer's balance drops) and in the books (654 excl. VAT, VAT reclaimed, against 416
    or 411), any provision reversed."""
    require(by, case.company, WRITE_OFF)
    with transaction.atomic():
        case, on = _transition(case, CaseStatus.IRRECOVERABLE, on)
        ensure_open(case.company, on, "on")
        # Locked first (as allocation does), then read with their open amounts.
        invoice_ids = list(case.invoices.values_list("pk", flat=True))
        list(Installment.objects.select_for_update().filter(invoice_id__in=invoice_ids))
        installments = list(
            selectors.open_installments(case.company, on, case.customer)
            .filter(invoice_id__in=invoice_ids)
            .order_by("due_date", "pk")
        )
        if not installments:
            raise Conflict(
                "nothing_unpaid",
                f"Les factures du dossier sont réglées au {on:%d/%m/%Y} : "
                "clôturez-le comme recouvré.",
            )
        event = _event(case, CaseStatus.IRRECOVERABLE, on, by)
        unpaid: dict[int, Decimal] = {}
        for installment in installments:
            loss = WriteOff.objects.create(
                number=next_number(case.company, "write_off", on),
                company=case.company,
                customer_id=installment.customer_id,
                date=on,
                amount=installment.open_amount,
                reason=f"Créance irrécouvrable — {case}"[:200],
                created_by=audit.actor(by),
            )
            Allocation.objects.create(
                company=case.company,
                customer_id=installment.customer_id,
                installment_id=installment.pk,
                write_off=loss,
                amount=installment.open_amount,
                allocated_on=on,
                paid_on=paid_on(loss),
                created_by=loss.created_by,
            )
            unpaid[installment.invoice_id] = (
                unpaid.get(installment.invoice_id, ZERO) + installment.open_amount
            )
        refresh_settled(installments=[i.pk for i in installments])
        invoices = {i.pk: i for i in case.invoices.filter(pk__in=list(unpaid))}
        transferred = _transferred(case) if case.provision_amount is not None else ZERO
        posting.post_irrecoverable(
            case,
            event,
            unpaid=[(invoices[pk], amount) for pk, amount in sorted(unpaid.items())],
            transferred=transferred,
            provision=case.provision_amount or ZERO,
        )
        total = sum(unpaid.values(), ZERO)
        event.note = f"Passé en perte : {format_eur(total)}"
        event.save(update_fields=["note"])
        _set_status(case, CaseStatus.IRRECOVERABLE, on)
        audit.record(
            "litigation.written_off",
            case,
            by=by,
            changes={"amount": format_eur(total), "date": on},
        )
    return case
