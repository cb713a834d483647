"""The pre-litigation file (dossier précontentieux): one PDF that states the claim and
one zip of the exhibits, made once when the case is opened (dunning.litigation) and
stored on the case, ready for a court's injonction de payer, the Médiation des
entreprises or a collection agency.

The PDF prints the claim as frozen on the case; the invoice lines and penalty tables are
those of `dunning.litigation.claim_lines` on the case's date, the same computation that
froze the totals, so the lines add up to them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

from encaisse.dunning.litigation import claim_lines, sent_reminders
from encaisse.legal import LEGAL_MARGIN, RECOVERY_FEE, LatePaymentRegime, late_payment_regime
from encaisse.money import ZERO, format_decimal, format_eur
from encaisse.sales.services.issuing import buyer_snapshot, seller_snapshot

from . import archive
from .models import ArchiveFormat
from .rendering import _logo_path, buyer_context, format_date, render_pdf, seller_context

LIMITATION_YEARS_B2B = 5  # C. com. L.110-4
LIMITATION_YEARS_CONSUMER = 2  # C. consom. L.218-2
# Simplified recovery procedure for small claims, through a commissaire de justice
# (C. proc. civ. exéc. L.125-1, R.125-1).
SMALL_CLAIM_CAP = Decimal("5000.00")

NOTICE_BASE = (
    "C. civ. art. 1344 : le débiteur est mis en demeure de payer par une sommation ou un "
    "acte portant interpellation suffisante ; art. 1231-6 : intérêts moratoires."
)
# What the file prints per regime (legal.late_payment_regime of the debtor): the legal
# bases and the labels of the amounts and tables.
BASIS = {
    LatePaymentRegime.COMMERCIAL: {
        "legal": [
            "C. com. art. L.441-10 : pénalités de retard exigibles de plein droit, sans "
            "rappel, dès le lendemain de l'échéance, au taux figurant sur la facture ou, à "
            f"défaut, au taux de refinancement de la BCE majoré de {LEGAL_MARGIN} points.",
            "C. com. art. D.441-5 : indemnité forfaitaire pour frais de recouvrement de "
            f"{format_eur(RECOVERY_FEE)} par facture payée en retard, due par le débiteur "
            "professionnel.",
            NOTICE_BASE,
            "Les pénalités et l'indemnité forfaitaire sont des dommages-intérêts, hors du "
            "champ de la TVA.",
        ],
        "labels": {
            "penalties": "Pénalités de retard (L.441-10)",
            "fees": "Indemnités forfaitaires (D.441-5)",
            "column": "Pénalités",
            "table_title": "Décompte des pénalités de retard",
            "from": "de l'échéance",
        },
    },
    LatePaymentRegime.CONSUMER: {
        "legal": [
            NOTICE_BASE,
            "C. civ. art. 1231-6 et 1344-1 : la mise en demeure fait courir l'intérêt au taux "
            "légal (celui des créanciers autres que les particuliers, fixé par semestre).",
            "Débiteur consommateur : ni pénalités de l'art. L.441-10 ni indemnité forfaitaire "
            "de l'art. D.441-5 du Code de commerce.",
            "Les intérêts moratoires sont des dommages-intérêts, hors du champ de la TVA.",
        ],
        "labels": {
            "penalties": "Intérêts au taux légal (C. civ. 1231-6)",
            "fees": "",
            "column": "Intérêts",
            "table_title": "Décompte des intérêts au taux légal",
            "from": "de la mise en demeure",
        },
    },
}


def case_filename(case, suffix: str = "pdf") -> str:
    return f"dossier-precontentieux-{case.pk}.{suffix}"


def _timestamp(day: dt.date) -> dt.datetime:
    """The case's own date as PDF metadata: the same bytes for the same records."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _days_late(due: dt.date, as_of: dt.date) -> int:
    return max((as_of - due).days, 0)


def case_context(case) -> dict:
    """Everything `litigation_file.typ` prints, formatted."""
    company = case.company
    customer = case.customer
    as_of = case.opened_on
    lines = claim_lines(customer, case.invoices.all(), as_of)
    invoice_ids = [line.invoice.pk for line in lines]
    reminders = list(sent_reminders(customer, as_of, invoice_ids))
    debtor = buyer_context(buyer_snapshot(customer), company.country or "FR")
    if customer.siret:
        debtor["identifiers"] = [f"SIRET {customer.siret}", *debtor["identifiers"]]

    # Each distinct rate source printed once, numbered, and referred to in the tables.
    sources: list[str] = []

    def source_no(text: str) -> str:
        if text not in sources:
            sources.append(text)
        return str(sources.index(text) + 1)

    tables = []
    for line in lines:
        if not line.table.periods:
            continue
        tables.append(
            {
                "invoice": line.invoice.number,
                "rows": [
                    {
                        "start": format_date(p.start),
                        "end": format_date(p.end),
                        "days": str(p.days),
                        "base": format_eur(p.base),
                        "rate": f"{format_decimal(p.rate)} %",
                        "amount": format_eur(p.amount),
                        "source": source_no(p.source),
                    }
                    for p in line.table.periods
                ],
                "total": format_eur(line.table.penalties),
                "day_count": str(line.table.day_count),
                # Part of the table already invoiced or waived (collection.claims).
                "already": format_eur(line.table.penalties - line.penalties)
                if line.penalties != line.table.penalties
                else "",
            }
        )

    notice = case.formal_notice
    first_due = min((line.due_date for line in lines), default=as_of)
    regime = late_payment_regime(customer)
    professional = regime is LatePaymentRegime.COMMERCIAL
    basis = BASIS[regime]
    years = LIMITATION_YEARS_B2B if professional else LIMITATION_YEARS_CONSUMER
    limitation = _add_years(first_due, years)
    total_open = sum((line.principal for line in lines), ZERO)
    return {
        "title": "DOSSIER PRÉCONTENTIEUX",
        "number": f"n° {case.pk}",
        "as_of": format_date(as_of),
        "seller": seller_context(seller_snapshot(company), _logo_path(case)),
        "debtor": debtor,
        "creditor_ids": [
            x
            for x in (
                f"SIREN {company.siren}" if company.siren else "",
                f"SIRET {company.siret}" if company.siret else "",
                f"TVA intracommunautaire {company.vat_number}" if company.vat_number else "",
            )
            if x
        ],
        "claim": {
            "principal": format_eur(case.principal),
            "penalties": format_eur(case.penalties),
            "fees": format_eur(case.recovery_fees),
            "rows": [
                ("Principal (factures TTC restant dues)", format_eur(case.principal)),
                (basis["labels"]["penalties"], format_eur(case.penalties)),
                *(
                    [(basis["labels"]["fees"], format_eur(case.recovery_fees))]
                    if professional
                    else []
                ),
            ],
            "total": format_eur(case.total_claimed),
            "invoices": str(len(lines)),
        },
        "invoices": [
            {
                "number": line.invoice.number,
                "date": format_date(line.invoice.issue_date),
                "due_date": format_date(line.due_date),
                "late": f"{_days_late(line.due_date, as_of)} j",
                "amount": format_eur(line.invoice.total_incl_vat),
                "open": format_eur(line.principal),
                "penalties": format_eur(line.penalties),
                "fee": format_eur(line.recovery_fee),
            }
            for line in lines
        ],
        "invoices_total": format_eur(total_open),
        "reminders": [
            {
                "date": format_date(r.sent_on),
                "level": str(r.level),
                "kind": r.get_template_display(),
                "channel": r.get_channel_display(),
                "registered": r.registered_mail_ref or "—",
                "amount": format_eur(r.total),
            }
            for r in reminders
        ],
        "notice": (
            {
                "date": format_date(notice.sent_on),
                "channel": notice.get_channel_display(),
                "registered": notice.registered_mail_ref or "non renseigné",
                "deadline": format_date(notice.deadline) or "—",
                "amount": format_eur(notice.total),
            }
            if notice
            else None
        ),
        "tables": tables,
        "sources": sources,
        "legal": basis["legal"],
        "labels": basis["labels"],
        "limitation": {
            "date": format_date(limitation),
            "years": str(years),
            "text": "C. com. art. L.110-4, entre commerçants"
            if professional
            else "C. consom. art. L.218-2, créance d'un professionnel sur un consommateur",
            "first_due": format_date(first_due),
        },
        "small_claim": case.principal <= SMALL_CLAIM_CAP,
        "small_claim_cap": format_eur(SMALL_CLAIM_CAP),
    }


def case_pdf(case) -> bytes:
    return render_pdf("litigation_file", case_context(case), timestamp=_timestamp(case.opened_on))


# ---------------------------------------------------------------- the zip


def _csv_amount(value) -> str:
    return format(value, "f").replace(".", ",")


def summary_csv(case) -> bytes:
    """The claim as a spreadsheet reads it in France: ';', decimal comma, UTF-8 BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "Facture",
            "Date",
            "Échéance",
            "Montant TTC",
            "Reste dû",
            "Jours de retard",
            "Pénalités",
            "Indemnité forfaitaire",
            "Total réclamé",
        ]
    )
    for line in claim_lines(case.customer, case.invoices.all(), case.opened_on):
        writer.writerow(
            [
                line.invoice.number,
                line.invoice.issue_date.isoformat(),
                line.due_date.isoformat(),
                _csv_amount(line.invoice.total_incl_vat),
                _csv_amount(line.principal),
                _days_late(line.due_date, case.opened_on),
                _csv_amount(line.penalties),
                _csv_amount(line.recovery_fee),
                _csv_amount(line.total),
            ]
        )
    writer.writerow(
        [
            "TOTAL",
            "",
            "",
            "",
            _csv_amount(case.principal),
            "",
            _csv_amount(case.penalties),
            _csv_amount(case.recovery_fees),
            _csv_amount(case.total_claimed),
        ]
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def case_zip(case, pdf: bytes | None = None) -> bytes:
    """The file PDF, each invoice's archived PDF (as issued), each sent reminder's letter
    and the CSV summary. Entries dated on the case's day, so the zip is reproducible."""
    stamp = case.opened_on.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:

        def add(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)

        add(case_filename(case), pdf if pdf is not None else case_pdf(case))
        invoices = list(case.invoices.order_by("issue_date", "number"))
        for invoice in invoices:
            add(
                "factures/" + archive.filename_for(invoice.number, ArchiveFormat.PDF),
                archive.read(invoice, ArchiveFormat.PDF),
            )
        for reminder in sent_reminders(case.customer, case.opened_on, [i.pk for i in invoices]):
            if reminder.letter_pdf:
                add(
                    f"relances/{reminder.sent_on.isoformat()}-niveau-{reminder.level}"
                    f"-relance-{reminder.pk}.pdf",
                    bytes(reminder.letter_pdf),
                )
        add("recapitulatif.csv", summary_csv(case))
    return buffer.getvalue()
