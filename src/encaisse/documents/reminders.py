"""Dunning letters: the PDF of a reminder (encaisse.dunning.models.Reminder), one text per
level (courtesy, amicable, formal, formal notice, pre-litigation).

A letter lists the reminder's items that are claimed (amount_due > 0); items held in
full (a dispute, a promise) are not printed: the customer is not asked to pay them. From
the formal level on, professional customers are reminded of the late-payment penalties
(C. com. L.441-10) and of the 40 EUR fixed recovery fee per invoice (D.441-5), with the
amounts of the reminder's items. The formal notice and the pre-litigation notice also
print the penalty table of every invoice as `collection.penalties.penalties` computes it
(period, days, base, rate, amount), so that each figure of the letter can be checked
against the engine and the claim adds up line by line.

Consumers (legal.late_payment_regime): no penalty nor fee; interest at the legal rate
runs from the formal notice (C. civ. 1231-6 and 1344-1), which the engine computes too:
the letters after a notice claim it, with its table, and the wording says so.

Like the customer statement, a letter prints the company and the customer as they are
now (`common.typ` header, address box and footer). It is stored with the reminder when
sent (Reminder.letter_pdf), so the sent letter never changes afterwards.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count

from encaisse.collection.claims import Outstanding, claimed
from encaisse.collection.penalties import penalties as penalty_table
from encaisse.dunning.models import Reminder, ReminderStatus, Template
from encaisse.legal import (
    FORMAL_NOTICE_DAYS,
    RECOVERY_FEE,
    LatePaymentRegime,
    late_payment_regime,
)
from encaisse.money import ZERO, format_eur
from encaisse.receivables.models import Installment
from encaisse.sales.services.issuing import buyer_snapshot, seller_snapshot

from .rendering import (
    _logo_path,
    account_qr,
    buyer_context,
    format_date,
    format_rate,
    format_reference,
    render_pdf,
    seller_context,
)

logger = logging.getLogger(__name__)

MAX_LISTED_REFERENCES = 6
NONE = Outstanding(ZERO, ZERO)
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]

TITLES = {
    Template.COURTESY: "RAPPEL D'ÉCHÉANCE",
    Template.AMICABLE: "RELANCE",
    Template.FORMAL: "DEUXIÈME RELANCE",
    Template.FORMAL_NOTICE: "MISE EN DEMEURE DE PAYER",
    Template.PRE_LITIGATION: "DERNIER AVIS AVANT CONTENTIEUX",
}
# The letters that claim penalties and fees (and print how much they come to).
CLAIMING = (Template.FORMAL, Template.FORMAL_NOTICE, Template.PRE_LITIGATION)
# The letters that print the penalty table period by period.
DETAILED = (Template.FORMAL_NOTICE, Template.PRE_LITIGATION)


def long_date(day: dt.date) -> str:
    """1 -> '1er décembre 2026', 29 -> '29 novembre 2026' (a letter's date line)."""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def is_commercial(reminder: Reminder) -> bool:
    """Whether the letter speaks of L.441-10 penalties and the fee (a professional) or
    of interest at the legal rate from the formal notice (a consumer)."""
    return late_payment_regime(reminder.customer) is LatePaymentRegime.COMMERCIAL


def letter_date(reminder: Reminder) -> dt.date:
    """The date the letter bears: the day it was sent, or until then the day it was
    proposed (a preview)."""
    return reminder.sent_on or reminder.proposed_on


def amounts_as_of(reminder: Reminder) -> dt.date:
    """The day the penalties are computed to: the letter's date (the run and the send
    compute the items' penalties on that same day)."""
    return letter_date(reminder)


def deadline(reminder: Reminder) -> dt.date:
    return reminder.deadline or letter_date(reminder) + dt.timedelta(days=FORMAL_NOTICE_DAYS)


def claimed_items(reminder: Reminder) -> list:
    """The items the letter asks to be paid, with the penalties and fees it claims
    (dunning.actions.claimed_amounts, which the reminder's page shows too): held ones
    (amount_due 0) are left out."""
    from encaisse.dunning.actions import claimed_amounts

    items = [item for item in claimed_amounts(reminder) if item.amount_due > 0]
    items.sort(key=lambda i: (i.due_date, i.invoice.number, i.installment.position))
    return items


def _days_late(item) -> str:
    if item.days_late > 0:
        return f"{item.days_late} j"
    if item.days_late == 0:
        return "échue ce jour"
    return "à échoir"


def _installment_counts(items) -> dict[int, int]:
    """invoice id -> number of installments (to say "échéance 2/3")."""
    ids = {item.invoice_id for item in items}
    rows = (
        Installment.objects.filter(invoice_id__in=ids)
        .values("invoice_id")
        .annotate(n=Count("id"))
        .values_list("invoice_id", "n")
    )
    return dict(rows)


def _item_rows(items) -> list[dict]:
    counts = _installment_counts(items)
    rows = []
    for item in items:
        number = item.invoice.number
        if counts.get(item.invoice_id, 1) > 1:
            number = f"{number} (éch. {item.installment.position}/{counts[item.invoice_id]})"
        rows.append(
            {
                "number": number,
                "issue_date": format_date(item.invoice.issue_date),
                "due_date": format_date(item.due_date),
                "late": _days_late(item),
                "overdue": item.days_late > 0,
                "amount": format_eur(item.installment.amount),
                "open": format_eur(item.amount_due),
                "level": str(item.level),
                "held": format_eur(item.held_amount) if item.held_amount > 0 else "",
            }
        )
    return rows


class Claim:
    """The amounts of a letter, per invoice and in total.

    The principal is the items' amount due. Penalties and fees: the items carry them
    (`claimed_items`: dunning.actions puts on an invoice's first item what of its
    penalties and fee is still outstanding on the letter's date, stored when sent).
    `already`: per invoice, what was invoiced or waived before (collection.claims), the
    difference between the engine's table and the amount claimed."""

    def __init__(self, items, *, with_penalties: bool):
        self.invoices = []  # in the order of the items
        self.principal = defaultdict(lambda: ZERO)
        self.penalties = defaultdict(lambda: ZERO)
        self.fees = defaultdict(lambda: ZERO)
        self.already = {}
        for item in items:
            invoice = item.invoice
            if invoice not in self.invoices:
                self.invoices.append(invoice)
            self.principal[invoice.pk] += item.amount_due
            self.penalties[invoice.pk] += item.penalties
            self.fees[invoice.pk] += item.recovery_fee
        if not with_penalties:
            self.penalties.clear()
            self.fees.clear()
            return
        self.already = claimed([invoice.pk for invoice in self.invoices])

    def total_of(self, invoice) -> Decimal:
        pk = invoice.pk
        return self.principal[pk] + self.penalties[pk] + self.fees[pk]

    @property
    def total_principal(self) -> Decimal:
        return sum(self.principal.values(), ZERO)

    @property
    def total_penalties(self) -> Decimal:
        return sum(self.penalties.values(), ZERO)

    @property
    def total_fees(self) -> Decimal:
        return sum(self.fees.values(), ZERO)

    @property
    def total(self) -> Decimal:
        return self.total_principal + self.total_penalties + self.total_fees


def _claim_context(claim: Claim) -> dict:
    return {
        "rows": [
            {
                "number": invoice.number,
                "principal": format_eur(claim.principal[invoice.pk]),
                "penalties": format_eur(claim.penalties[invoice.pk]),
                "fee": format_eur(claim.fees[invoice.pk]),
                "total": format_eur(claim.total_of(invoice)),
            }
            for invoice in claim.invoices
        ],
        "principal": format_eur(claim.total_principal),
        "penalties": format_eur(claim.total_penalties),
        "fees": format_eur(claim.total_fees),
        "total": format_eur(claim.total),
        "has_penalties": claim.total_penalties > 0,
        "has_fees": claim.total_fees > 0,
    }


def _periods_context(claim: Claim, as_of: dt.date) -> tuple[list[dict], list[str], int]:
    """The engine's penalty periods of every claimed invoice (and, after them, what of
    them was invoiced or waived before), the rates' sources (one line per distinct
    rate) and the day count."""
    periods, sources, day_count = [], {}, 365
    for invoice in claim.invoices:
        table = penalty_table(invoice, as_of)
        day_count = table.day_count
        for period in table.periods:
            periods.append(
                {
                    "number": invoice.number,
                    "start": format_date(period.start),
                    "end": format_date(period.end),
                    "days": str(period.days),
                    "base": format_eur(period.base),
                    "rate": format_rate(period.rate),
                    "amount": format_eur(period.amount),
                }
            )
            sources.setdefault(format_rate(period.rate), period.source)
        already = claim.already.get(invoice.pk, NONE).penalties
        if table.periods and already > 0:
            periods.append(
                {
                    "number": invoice.number,
                    "start": "Déjà facturé ou abandonné",
                    "end": "",
                    "days": "",
                    "base": "",
                    "rate": "",
                    "amount": format_eur(-min(already, table.penalties)),
                }
            )
        if max(table.penalties - already, ZERO) != claim.penalties[invoice.pk]:
            # The send stores the engine's figures of its day: a difference means the
            # items were computed on another day than the letter's.
            logger.warning(
                "Relance : pénalités de %s (%s) différentes du barème au %s (%s)",
                invoice.number,
                claim.penalties[invoice.pk],
                as_of,
                table.penalties - already,
            )
    return periods, [f"{rate} : {source}" for rate, source in sources.items()], day_count


def _previous_reminders(reminder: Reminder) -> list[str]:
    """The dates of the reminders already sent to this customer (level 1 and up) before
    this letter, to recall them ("nos relances des 12/06/2025 et 27/06/2025")."""
    sent = (
        Reminder.objects.filter(
            customer_id=reminder.customer_id,
            status=ReminderStatus.SENT,
            level__gte=1,
            sent_on__lt=letter_date(reminder),
        )
        .exclude(pk=reminder.pk)
        .order_by("sent_on")
        .values_list("sent_on", flat=True)
    )
    return [format_date(day) for day in dict.fromkeys(sent)]


def _join_dates(dates: list[str]) -> str:
    if len(dates) == 1:
        return f"du {dates[0]}"
    return "des " + ", ".join(dates[:-1]) + f" et {dates[-1]}"


def _references(claim: Claim, rf: str = "") -> str:
    """What to quote with the payment: the invoice's RF reference when the letter claims
    one invoice; else the invoice numbers, when they fit on a line or two (a long letter
    just asks for them, as the statement does)."""
    if rf:
        return f"{format_reference(rf)} (facture {claim.invoices[0].number})"
    if len(claim.invoices) > MAX_LISTED_REFERENCES:
        return ""
    return ", ".join(invoice.number for invoice in claim.invoices)


def payment_qr(seller: dict, claim: Claim, amount: Decimal) -> dict:
    """The EPC QR code of the letter (rendering.account_qr): the amount the letter asks
    for (with the penalties and fees it claims, from the formal reminder on); one
    invoice: its RF reference; several: their numbers as text, or no code when they do
    not fit. The company's bank details as they are today, as the letter prints them."""
    currencies = {invoice.currency for invoice in claim.invoices}
    currency = currencies.pop() if len(currencies) == 1 else ""
    return account_qr(seller, amount, [i.number for i in claim.invoices], currency)


# ----------------------------------------------------------------------- the texts


def letter_texts(reminder: Reminder, claim: Claim, as_of: dt.date, *, letter=True) -> dict:
    """Object, paragraphs before and after the tables, per template and customer kind
    (`letter`: False for the e-mail, which says "ce message" for "ce courrier")."""
    this = "ce courrier" if letter else "ce message"
    template = reminder.template
    professional = is_commercial(reminder)
    total = format_eur(claim.total)
    principal = format_eur(claim.total_principal)
    count = len(claim.invoices)
    invoices_word = "factures" if count > 1 else "facture"
    the_invoices = "les factures" if count > 1 else "la facture"
    previous = _previous_reminders(reminder)
    recall = (
        f"Malgré nos relances {_join_dates(previous)}, " if previous else "Malgré nos relances, "
    )
    until = format_date(deadline(reminder))
    before, after = [], []

    if template == Template.COURTESY:
        subject = f"Rappel d'échéance — {count} {invoices_word}, {principal}"
        before.append(
            f"Nous nous permettons de vous rappeler que {the_invoices} ci-dessous "
            f"{'arrivent' if count > 1 else 'arrive'} prochainement à échéance, pour un "
            f"montant total de {principal}."
        )
        after.append(
            "Si votre règlement est déjà programmé, nous vous en remercions et vous prions "
            f"de ne pas tenir compte de {this}."
        )
    elif template == Template.AMICABLE:
        subject = f"Relance — {count} {invoices_word} échue{'s' if count > 1 else ''}, {principal}"
        before.append(
            "Sauf erreur ou omission de notre part, nous n'avons pas reçu à ce jour le "
            f"règlement de {the_invoices} ci-dessous, "
            f"{'arrivées' if count > 1 else 'arrivée'} à échéance, pour un montant total "
            f"de {principal}."
        )
        after.append(
            "Il s'agit probablement d'un simple oubli. Nous vous remercions de bien vouloir "
            "procéder au règlement de cette somme dans les meilleurs délais, de préférence "
            "par virement sur le compte indiqué ci-dessous, en rappelant "
            + (
                "les numéros des factures."
                if count > 1
                else "la référence de paiement indiquée ci-dessous."
            )
        )
        after.append(
            "Si votre règlement nous est parvenu entre-temps, veuillez ne pas tenir compte "
            f"de {this}. Pour toute question sur ces factures, notre service reste à "
            "votre disposition."
        )
    elif template == Template.FORMAL:
        subject = f"Deuxième relance — factures impayées, {principal}"
        before.append(
            f"{recall}{the_invoices} ci-dessous "
            f"{'restent impayées' if count > 1 else 'reste impayée'} à ce jour, pour un "
            f"montant principal de {principal}."
        )
        before.append(
            "Nous vous demandons de procéder à ce règlement sans délai, et au plus tard "
            f"le {until}."
        )
        if professional:
            after.append(
                "Nous vous rappelons que tout retard de paiement rend exigibles de plein "
                "droit, sans qu'un rappel soit nécessaire, des pénalités de retard au taux "
                "figurant sur nos factures (à défaut, le taux de refinancement de la Banque "
                "centrale européenne majoré de 10 points), ainsi qu'une indemnité "
                f"forfaitaire pour frais de recouvrement de {format_eur(RECOVERY_FEE)} par "
                "facture (art. L.441-10 et D.441-5 du Code de commerce). Au "
                f"{format_date(as_of)}, elles s'élèvent à {format_eur(claim.total_penalties)} "
                f"de pénalités et {format_eur(claim.total_fees)} d'indemnités, soit un total "
                f"dû de {total}."
            )
        else:
            accrued = (
                f"Au {format_date(as_of)}, les intérêts de retard s'élèvent à "
                f"{format_eur(claim.total_penalties)}, soit un total dû de {total}. "
                if claim.total_penalties > 0
                else ""
            )
            after.append(
                f"{accrued}À défaut de règlement, nous serons contraints de vous adresser une "
                "mise en demeure, à compter de laquelle les sommes dues porteront intérêts au "
                "taux légal (art. 1231-6 et 1344-1 du Code civil)."
            )
        after.append(
            "Si ce règlement a été effectué entre-temps, nous vous remercions de nous en "
            "communiquer la date et les références."
        )
    elif template == Template.FORMAL_NOTICE:
        subject = "Mise en demeure de payer"
        before.append(
            f"{recall}nous restons impayés à ce jour des sommes détaillées ci-dessous, "
            f"pour un montant total de {total}."
        )
        before.append(
            "Par la présente, nous vous mettons en demeure, conformément à l'article 1344 "
            f"du Code civil, de nous régler la somme de {total} dans un délai de "
            f"{FORMAL_NOTICE_DAYS} jours, soit au plus tard le {until}."
        )
        after.extend(_amounts_explained(claim, as_of, professional))
        after.append(
            "À défaut de règlement intégral dans ce délai, nous engagerons sans autre avis "
            "une procédure judiciaire de recouvrement, notamment une requête en injonction "
            "de payer (art. 1405 et suivants du Code de procédure civile), dont les frais "
            "resteront à votre charge."
        )
    else:  # PRE_LITIGATION
        subject = "Dernier avis avant transmission au contentieux"
        before.append(
            f"{recall}y compris notre mise en demeure, les sommes détaillées ci-dessous "
            f"restent impayées, pour un montant total de {total}."
        )
        before.append(
            f"Sans règlement intégral de cette somme au plus tard le {until}, votre dossier "
            "sera transmis, sans autre préavis, à notre service contentieux et à un cabinet "
            "de recouvrement, et nous saisirons le tribunal compétent d'une requête en "
            "injonction de payer (art. 1405 et suivants du Code de procédure civile)."
        )
        after.extend(_amounts_explained(claim, as_of, professional))
        after.append(
            "Les frais de la procédure judiciaire s'ajouteront aux sommes ci-dessus. Si vous "
            "rencontrez des difficultés, prenez contact avec nous sans attendre : une "
            "solution amiable reste possible jusqu'à cette date."
        )
    return {"subject": subject, "before": before, "after": after}


def _amounts_explained(claim: Claim, as_of: dt.date, professional: bool) -> list[str]:
    if professional:
        return [
            f"Cette somme comprend le principal ({format_eur(claim.total_principal)}), les "
            f"pénalités de retard arrêtées au {format_date(as_of)} "
            f"({format_eur(claim.total_penalties)}), calculées au taux figurant sur nos "
            "factures ou, à défaut, au taux de refinancement de la Banque centrale "
            "européenne majoré de 10 points (art. L.441-10 du Code de commerce), et "
            "l'indemnité forfaitaire pour frais de recouvrement de "
            f"{format_eur(RECOVERY_FEE)} par facture (art. D.441-5 du Code de commerce), "
            f"soit {format_eur(claim.total_fees)}. Les pénalités continuent de courir "
            "jusqu'au complet paiement."
        ]
    if claim.total_penalties > 0:
        return [
            f"Cette somme comprend le principal ({format_eur(claim.total_principal)}) et les "
            "intérêts au taux légal courus depuis notre mise en demeure, arrêtés au "
            f"{format_date(as_of)} ({format_eur(claim.total_penalties)}) (art. 1231-6 et "
            "1344-1 du Code civil). Ils continuent de courir jusqu'au complet paiement."
        ]
    return [
        "À défaut de paiement, les sommes dues porteront intérêts au taux légal à "
        "compter de la présente mise en demeure (art. 1231-6 et 1344-1 du Code civil)."
    ]


# ----------------------------------------------------------------------- the letter


def registered_mention(reminder: Reminder) -> tuple[str, str]:
    """('Lettre recommandée avec accusé de réception', 'n° …') for registered letters (a
    formal notice always is one); the number once La Poste gave it."""
    if not reminder.is_registered:
        return "", ""
    ref = f"n° {reminder.registered_mail_ref}" if reminder.registered_mail_ref else ""
    return "Lettre recommandée avec accusé de réception", ref


def _collector(reminder: Reminder) -> str:
    user = reminder.customer.collector
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def reminder_context(reminder: Reminder) -> dict:
    """Everything `reminder.typ` prints, formatted."""
    company, customer = reminder.company, reminder.customer
    template = reminder.template
    on = letter_date(reminder)
    as_of = amounts_as_of(reminder)
    items = claimed_items(reminder)
    professional = is_commercial(reminder)
    claim = Claim(items, with_penalties=template in CLAIMING)
    snapshot = seller_snapshot(company)
    seller = seller_context(snapshot, _logo_path(customer))
    amount = claim.total if template in CLAIMING else claim.total_principal
    qr = payment_qr(snapshot, claim, amount)
    texts = letter_texts(reminder, claim, as_of)
    periods, sources, day_count = (
        _periods_context(claim, as_of) if template in DETAILED else ([], [], 365)
    )
    held = sum((item.held_amount for item in items), ZERO)
    mentions = []
    if held > 0:
        mentions.append(
            f"Les montants en cours d'examen ({format_eur(held)}) sont exclus de la présente "
            "réclamation."
        )
    if periods:
        mentions.append(
            f"Pénalités calculées par période : base × taux annuel × jours / {day_count}, "
            "arrondies au centime, du lendemain de l'échéance jusqu'au paiement ou au "
            f"{format_date(as_of)}."
            if professional
            else "Intérêts au taux légal calculés par période : base × taux annuel × jours / "
            f"{day_count}, arrondis au centime, du lendemain de la mise en demeure jusqu'au "
            f"paiement ou au {format_date(as_of)}."
        )
        mentions.extend(f"Taux de {source}" for source in sources)
    if template in (Template.FORMAL_NOTICE, Template.PRE_LITIGATION) and professional:
        mentions.append(
            "Prescription des créances entre commerçants : 5 ans (art. L.110-4 du Code de "
            "commerce)."
        )
    return {
        "template": template,
        "title": TITLES[template],
        "number": f"n° {reminder.pk}",
        "professional": professional,
        "seller": seller,
        "buyer": buyer_context(buyer_snapshot(customer), company.country or "FR"),
        "place_date": f"{company.city or ''}, le {long_date(on)}".lstrip(", "),
        "date": format_date(on),
        "references": [
            pair
            for pair in (
                ("Notre référence", f"Relance n° {reminder.pk} (niveau {reminder.level})"),
                ("Dossier suivi par", _collector(reminder)),
                ("Téléphone", company.phone),
                ("E-mail", company.email),
            )
            if pair[1]
        ],
        "registered": registered_mention(reminder)[0],
        "registered_ref": registered_mention(reminder)[1],
        "subject": texts["subject"],
        "heading": TITLES[template] if template in DETAILED else "",
        "salutation": "Madame, Monsieur,",
        "before": texts["before"],
        "after": texts["after"],
        "items": _item_rows(items),
        "items_total": format_eur(claim.total_principal),
        "claim": _claim_context(claim) if template in CLAIMING else None,
        "penalty_label": "Pénalités" if professional else "Intérêts",
        "periods": periods,
        "as_of": format_date(as_of),
        "deadline": format_date(deadline(reminder)) if template in CLAIMING else "",
        "payment": {
            "amount": format_eur(amount),
            "iban": seller["iban"],
            "bic": seller["bic"],
            "reference": _references(claim, qr["rf"]),
            "qr": qr["qr"],
            "qr_caption": qr["qr_caption"],
        },
        "closing": (
            "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations "
            "distinguées."
        ),
        "signature": [company.trade_name or company.legal_name, "Service recouvrement"],
        "mentions": mentions,
    }


def reminder_pdf(reminder: Reminder) -> bytes:
    """The letter of `reminder`, as PDF/A-3b bytes, dated by its own date (the same
    bytes for the same records)."""
    on = letter_date(reminder)
    return render_pdf(
        "reminder",
        reminder_context(reminder),
        timestamp=dt.datetime.combine(on, dt.time(), tzinfo=dt.UTC),
    )
