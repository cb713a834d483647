"""The e-mail of a reminder: its default subject and plain-text body in French, per level,
and the file name of its letter.

The text says what the letter says (documents.reminders.letter_texts: same paragraphs,
same amounts), with the invoices listed one per line, since an e-mail has no table. A
collector's edited subject or body (Reminder.subject, Reminder.body) replaces these; the
send service (dunning.actions.send_reminder) chooses.
"""

from encaisse.documents.reminders import (
    CLAIMING,
    Claim,
    amounts_as_of,
    claimed_items,
    deadline,
    is_commercial,
    letter_date,
    letter_texts,
)
from encaisse.documents.rendering import format_date, format_iban
from encaisse.mailing.invoices import greeting
from encaisse.money import format_eur

from .models import Channel, Reminder, Template

FILE_PREFIXES = {
    Template.COURTESY: "rappel-echeance",
    Template.AMICABLE: "relance",
    Template.FORMAL: "relance-formelle",
    Template.FORMAL_NOTICE: "mise-en-demeure",
    Template.PRE_LITIGATION: "dernier-avis-avant-contentieux",
}
LETTER_ATTACHED = (Channel.LETTER, Channel.LETTER_AND_EMAIL, Channel.REGISTERED)


def letter_filename(reminder: Reminder) -> str:
    """'mise-en-demeure-12-2025-07-15.pdf': what, which reminder, which day."""
    prefix = FILE_PREFIXES.get(reminder.template, "relance")
    return f"{prefix}-{reminder.pk}-{letter_date(reminder).isoformat()}.pdf"


def _late(days: int) -> str:
    if days > 1:
        return f"{days} jours de retard"
    if days == 1:
        return "1 jour de retard"
    return "échéance à venir" if days < 0 else "échue ce jour"


def _item_line(item) -> str:
    invoice = item.invoice
    return (
        f"- Facture {invoice.number} du {format_date(invoice.issue_date)}, échéance "
        f"{format_date(item.due_date)} ({_late(item.days_late)}) : "
        f"{format_eur(item.amount_due)} restant dus"
    )


def default_message(reminder: Reminder) -> tuple[str, str]:
    """(subject, body) of the reminder's e-mail, in French, plain text."""
    company = reminder.company
    seller = company.trade_name or company.legal_name
    as_of = amounts_as_of(reminder)
    items = claimed_items(reminder)
    claim = Claim(items, with_penalties=reminder.template in CLAIMING)
    texts = letter_texts(reminder, claim, as_of, letter=False)
    # A mail header: plain spaces (the outbox folds the no-break ones of the amounts).
    subject = " ".join(f"{texts['subject']} — {seller}".split())

    lines = [greeting(reminder.customer, default="Madame, Monsieur,"), ""]
    for paragraph in texts["before"]:
        lines += [paragraph, ""]
    lines += [_item_line(item) for item in items]
    lines.append("")
    if reminder.template in CLAIMING:
        penalty = "Pénalités de retard" if is_commercial(reminder) else "Intérêts au taux légal"
        lines.append(f"Principal : {format_eur(claim.total_principal)}")
        if claim.total_penalties > 0:
            lines.append(f"{penalty} au {format_date(as_of)} : {format_eur(claim.total_penalties)}")
        if claim.total_fees > 0:
            lines.append(
                f"Indemnités forfaitaires de recouvrement : {format_eur(claim.total_fees)}"
            )
        lines.append(f"Total dû : {format_eur(claim.total)}")
    else:
        lines.append(f"Total : {format_eur(claim.total_principal)}")
    lines.append("")
    for paragraph in texts["after"]:
        lines += [paragraph, ""]

    references = ", ".join(invoice.number for invoice in claim.invoices)
    # One invoice: its RF reference (sales.references), compact so that it can be copied
    # into the transfer's label as it is; several: their numbers, as before.
    rf = claim.invoices[0].payment_reference if len(claim.invoices) == 1 else ""
    if company.iban:
        payment = f"Règlement par virement sur le compte IBAN {format_iban(company.iban)}"
        if company.bic:
            payment += f" (BIC {company.bic})"
        if rf:
            lines.append(f"{payment}.")
            lines.append(
                f"Merci d'indiquer la référence {rf} dans le libellé de votre virement "
                f"(facture {references})."
            )
        else:
            lines.append(f"{payment}, en rappelant : {references}.")
    elif rf:
        lines.append(f"Merci de rappeler avec votre règlement la référence {rf} ({references}).")
    else:
        lines.append(f"Merci de rappeler avec votre règlement : {references}.")
    if reminder.template in CLAIMING:
        lines.append(f"Date limite de paiement : {format_date(deadline(reminder))}.")
    if reminder.channel in LETTER_ATTACHED:
        lines += ["", "Vous trouverez notre courrier en pièce jointe."]
    lines += ["", "Cordialement,", "", seller, "Service recouvrement"]
    lines += [value for value in (company.phone, company.email) if value]
    return subject, "\n".join(lines)
