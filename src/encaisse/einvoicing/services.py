"""Setting the lifecycle status of issued invoices: by hand, from a platform's file, and
"encaissée" automatically when an invoice is fully paid."""

import csv
import datetime as dt
import io
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q, Sum

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.companies.models import Company
from encaisse.companies.permissions import ISSUE_INVOICES, require
from encaisse.customers.models import CustomerKind
from encaisse.errors import Conflict, ValidationFailed
from encaisse.money import format_eur, q2
from encaisse.receivables.models import Allocation
from encaisse.sales.kinds import codes
from encaisse.sales.models import DocumentStatus, Invoice, OperationNature
from encaisse.validation import clean_column, text_fault

from .models import FINAL_STATUSES, EventSource, LifecycleEvent, LifecycleStatus

MAX_IMPORT_LINES = 10_000
MAX_IMPORT_BYTES = 2 * 1024 * 1024


def history(invoice: Invoice):
    return LifecycleEvent.objects.filter(invoice=invoice).select_related("created_by")


def current_status(invoice: Invoice) -> LifecycleEvent | None:
    """The latest event (by date, then entry order), or None before any."""
    return history(invoice).first()


def requires_collected(invoice: Invoice) -> bool:
    """Whether the seller must report status 212 "Encaissée" for this invoice.

    Rule: VAT on services is due when the price is collected (CGI art. 269, 2-c), unless
    the seller opted to pay it on debits; the reform makes the platform report the
    collection (status 212, mandatory) for those invoices only, so that the tax
    administration knows when the VAT became due. Goods invoices (VAT due on delivery)
    and sellers with the VAT-on-debits option do not need it. Mixed invoices are treated
    as services: their services part is under the same rule. The option is read from the
    invoice's own snapshot (mentions, fixed at issue), not from today's company setting.
    Lifecycle statuses exist for e-invoices, i.e. between French businesses: sales to
    consumers or to buyers abroad go to e-reporting instead (payment data included).
    """
    buyer = invoice.buyer or {}
    return (
        invoice.kind_spec.creates_receivable
        and invoice.status == DocumentStatus.ISSUED
        and buyer.get("kind") == CustomerKind.PROFESSIONAL
        and (buyer.get("billing_address") or {}).get("country", "FR") == "FR"
        and invoice.operation_nature in (OperationNature.SERVICES, OperationNature.MIXED)
        and not (invoice.mentions or {}).get("vat_on_debits")
    )


def _check(invoice: Invoice, status: str, on: dt.date, *, where: str = "") -> None:
    """Refuse what is clearly wrong; `where` prefixes messages (an import line)."""
    if invoice.status != DocumentStatus.ISSUED:
        raise Conflict(
            "draft_no_lifecycle",
            f"{where}Un brouillon n'a pas de statut de facturation "
            "électronique : émettez-le d'abord.",
        )
    if status not in LifecycleStatus.values:
        raise ValidationFailed("invalid_status", f"{where}Statut inconnu.", "status")
    if on > clock.today():
        raise ValidationFailed("future_date", f"{where}La date est dans le futur.", "date")
    if on < invoice.issue_date:
        raise ValidationFailed(
            "date_before_issue",
            f"{where}La date précède l'émission de {invoice.number} "
            f"({invoice.issue_date:%d/%m/%Y}).",
            "date",
        )
    final = (
        LifecycleEvent.objects.filter(invoice=invoice, status__in=FINAL_STATUSES, date__lte=on)
        .order_by("date", "id")
        .first()
    )
    if final is not None:
        raise Conflict(
            "lifecycle_closed",
            f"{where}{invoice.number} est « {final.get_status_display()} » depuis le "
            f"{final.date:%d/%m/%Y} : aucun statut ne peut suivre (émettez un avoir ou une "
            "nouvelle facture).",
        )


def _create(invoice, status, on, *, source, note, by, amount=None) -> LifecycleEvent:
    event = LifecycleEvent.objects.create(
        company=invoice.company,
        invoice=invoice,
        status=status,
        date=on,
        source=source,
        note=note,
        amount=amount,
        created_by=audit.actor(by),
    )
    audit.record(
        "invoice.lifecycle_status",
        invoice,
        by=by,
        changes={
            "status": event.code_and_label,
            "date": on,
            "source": event.get_source_display(),
            **({"note": note} if note else {}),
            **({"amount": format_eur(amount)} if amount is not None else {}),
        },
    )
    return event


def _clean_note(note, label=None) -> str:
    """The comment on one line, refused (not cut) when too long or not printable."""
    return clean_column(LifecycleEvent, "note", " ".join((note or "").split()), label=label)


def set_status(
    invoice: Invoice, status: str, *, on: dt.date | None = None, by, note: str = ""
) -> LifecycleEvent:
    """Add a status to the invoice's lifecycle, by hand."""
    require(by, invoice.company, ISSUE_INVOICES)
    on = on or clock.today()
    if not isinstance(on, dt.date):
        on = _parse_date(str(on), "")
    status = str(getattr(status, "value", status))
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        _check(invoice, status, on)
        return _create(
            invoice, status, on, source=EventSource.MANUAL, note=_clean_note(note), by=by
        )


def mark_collected(invoice: Invoice, on: dt.date, amount: Decimal) -> LifecycleEvent | None:
    """Status 212 "Encaissée", set by the system when `invoice` became fully paid on `on`
    with `amount` collected.

    Does nothing (returns None) when the invoice does not need it, already is
    "encaissée", or its lifecycle is closed: it is called from the allocation of a
    payment, which must never fail because of the lifecycle."""
    if not requires_collected(invoice):
        return None
    latest = current_status(invoice)
    if latest is not None and latest.status == LifecycleStatus.COLLECTED:
        return None
    if LifecycleEvent.objects.filter(invoice=invoice, status__in=FINAL_STATUSES).exists():
        return None
    return _create(
        invoice,
        LifecycleStatus.COLLECTED,
        max(on, invoice.issue_date),
        source=EventSource.AUTOMATIC,
        note=f"Facture réglée en totalité : {format_eur(amount)} encaissés.",
        by=None,
        amount=amount,
    )


def collect_paid(invoice_ids) -> list[LifecycleEvent]:
    """Called when installments become settled: mark "encaissée" those of the invoices
    whose installments are now all settled, dated by the day the invoice counts as paid
    (the latest day its credits' money came in, Allocation.paid_on: not the day they
    were matched), for the amount its payments brought."""
    events = []
    paid = (
        Invoice.objects.filter(pk__in=set(invoice_ids), kind__in=codes(creates_receivable=True))
        .exclude(installments__settled_on__isnull=True)
        .distinct()
    )
    for invoice in paid:
        if not requires_collected(invoice):
            continue
        settled = Allocation.objects.filter(
            installment__invoice=invoice, undone_on__isnull=True
        ).aggregate(on=Max("paid_on"), collected=Sum("amount", filter=Q(payment__isnull=False)))
        # Settled by a credit note alone is a cancellation, not a collection: no money
        # came in, no VAT became due.
        if not settled["collected"]:
            continue
        event = mark_collected(invoice, settled["on"], q2(settled["collected"]))
        if event is not None:
            events.append(event)
    return events


# ---------------------------------------------------------------- import


def _plain(text: str) -> str:
    """Lowercase, no accents, single spaces: "Approuvée  partiellement" -> same key."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.lower().split())


STATUS_BY_NAME = {
    **{_plain(label): value for value, label in LifecycleStatus.choices},
    **{value: value for value in LifecycleStatus.values},
}


def _parse_date(text: str, where: str) -> dt.date:
    text = text.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationFailed(
        "invalid_date", f"{where}date « {text} » invalide (JJ/MM/AAAA ou AAAA-MM-JJ).", "date"
    )


def _parse_status(text: str, where: str) -> str:
    key = _plain(text)
    # "212 - Encaissée" and "212 Encaissée" are read as their code.
    head = key.split(" ", 1)[0].strip("-")
    status = STATUS_BY_NAME.get(key) or (head if head in LifecycleStatus.values else None)
    if status is None:
        raise ValidationFailed("invalid_status", f"{where}statut « {text} » inconnu.", "status")
    return status


@dataclass
class ImportReport:
    created: list[LifecycleEvent] = field(default_factory=list)
    duplicates: int = 0


def _decode(file) -> str:
    raw = file.read() if hasattr(file, "read") else file
    if isinstance(raw, str):
        return raw
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationFailed("file_too_large", "Le fichier dépasse 2 Mo.", "file")
    for encoding in ("utf-8-sig", "cp1252"):  # spreadsheets on Windows save in cp1252
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed("invalid_encoding", "Fichier illisible (encodage).", "file")


def import_statuses(company: Company, file, *, by) -> ImportReport:
    """Import a status file: `numéro;statut;date;commentaire` per line, an optional
    header line. All or nothing: every line is checked first, and one bad line refuses
    the whole file with the list of faults, each with its line number. A status already
    known for the same invoice and date (or repeated in the file) is ignored."""
    require(by, company, ISSUE_INVOICES)
    text = _decode(file)
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    if len(rows) > MAX_IMPORT_LINES:
        raise ValidationFailed(
            "file_too_large", f"Le fichier dépasse {MAX_IMPORT_LINES} lignes.", "file"
        )
    parsed, errors = [], []
    numbers = set()
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and _plain(cells[0]) in {"numero", "number", "n°", "facture"}:
            continue  # header
        where = f"Ligne {number} : "
        try:
            if len(cells) < 3 or len(cells) > 4:
                raise ValidationFailed(
                    "invalid_line",
                    f"{where}{len(cells)} colonne(s), 3 ou 4 attendues "
                    "(numéro;statut;date;commentaire).",
                    "file",
                )
            for cell in cells[:3]:
                # A byte no document can carry (a NUL, a control) names its line here,
                # instead of failing in the database's query.
                if fault := text_fault(cell):
                    raise ValidationFailed(fault[0], where + fault[1], "file")
            invoice_number, status, on = cells[0], cells[1], cells[2]
            if not invoice_number:
                raise ValidationFailed("required", f"{where}numéro de facture manquant.", "file")
            parsed.append(
                (
                    number,
                    invoice_number,
                    _parse_status(status, where),
                    _parse_date(on, where),
                    _clean_note(
                        cells[3] if len(cells) == 4 else "", label=f"Ligne {number}, commentaire"
                    ),
                )
            )
            numbers.add(invoice_number)
        except ValidationFailed as exc:
            errors.append({"line": number, "field": "file", "message": exc.message})
    if not parsed and not errors:
        raise ValidationFailed("empty_file", "Le fichier ne contient aucun statut.", "file")

    report = ImportReport()
    with transaction.atomic():
        invoices = {
            i.number: i
            for i in Invoice.objects.select_for_update().filter(company=company, number__in=numbers)
        }
        known = set(
            LifecycleEvent.objects.filter(invoice__in=invoices.values()).values_list(
                "invoice_id", "status", "date"
            )
        )
        # In date order, so that a file listing "refusée" then an earlier status is
        # checked as the lifecycle happened, not as the lines were written.
        for number, invoice_number, status, on, note in sorted(parsed, key=lambda p: (p[3], p[0])):
            where = f"Ligne {number} : "
            invoice = invoices.get(invoice_number)
            if invoice is None:
                errors.append(
                    {
                        "line": number,
                        "field": "file",
                        "message": f"{where}facture « {invoice_number} » introuvable.",
                    }
                )
                continue
            if (invoice.pk, status, on) in known:
                report.duplicates += 1
                continue
            try:
                _check(invoice, status, on, where=where)
            except (ValidationFailed, Conflict) as exc:
                errors.append({"line": number, "field": "file", "message": exc.message})
                continue
            if not errors:
                report.created.append(
                    _create(invoice, status, on, source=EventSource.IMPORT, note=note, by=by)
                )
            known.add((invoice.pk, status, on))
        if errors:
            errors.sort(key=lambda e: e["line"])
            # Raising rolls back the events already created: nothing is imported.
            raise ValidationFailed(
                "import_refused",
                f"Fichier refusé, rien n'a été importé : {len(errors)} ligne(s) en erreur.",
                "file",
                details=errors,
            )
    return report
