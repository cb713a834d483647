"""The audit trail of a record, in words a user reads: French action, field labels."""

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist

from encaisse.audit.services import trail
from encaisse.money import format_decimal, format_eur

ACTION_LABELS = {
    "company.created": "Création de la société",
    "company.updated": "Modification de la société",
    "company.member_set": "Membre ajouté ou rôle changé",
    "customer.created": "Création du client",
    "customer.updated": "Modification du client",
    "customer.contact_added": "Contact ajouté",
    "customer.contact_removed": "Contact retiré",
    "customer.payment_recorded": "Règlement enregistré",
    "product.created": "Création de l'article",
    "product.updated": "Modification de l'article",
    "invoice.created": "Création du brouillon",
    "invoice.updated": "Modification du brouillon",
    "invoice.issued": "Émission de la facture",
    "invoice.draft_deleted": "Suppression du brouillon",
    "invoice.credit_note_drafted": "Avoir préparé",
    "credit_note.created": "Création de l'avoir (brouillon)",
    "credit_note.issued": "Émission de l'avoir",
    "credit_note.allocated": "Avoir lettré",
    "payment.recorded": "Règlement enregistré",
    "payment.allocated": "Règlement lettré",
    "allocation.undone": "Lettrage annulé",
    "refund.recorded": "Remboursement enregistré",
    "write_off.recorded": "Passage en pertes",
    "remittance.created": "Remise en banque",
    "customer.credit_limit_set": "Limite de crédit fixée",
    "customer.incident_recorded": "Incident de paiement enregistré",
    "invoice.credit_override": "Émission au-delà de la limite de crédit (dérogation)",
    "invoice.lifecycle_status": "Statut de facturation électronique",
    "mail.queued": "E-mail mis en file d'envoi",
    "mail.sent": "E-mail envoyé",
    "mail.failed": "Échec de l'envoi de l'e-mail",
    "mail.retried": "Nouvel essai d'envoi demandé",
    "invoice.mail_queued": "Envoi par e-mail demandé",
    "invoice.mailed": "Envoyé par e-mail",
    "customer.invoice_mail_queued": "Envoi d'un document par e-mail demandé",
    "customer.invoice_mailed": "Document envoyé par e-mail",
    "customer.statement_mail_queued": "Envoi du relevé de compte par e-mail demandé",
    "dispute.opened": "Litige ouvert",
    "dispute.escalated": "Litige escaladé",
    "dispute.resolved": "Litige clos",
    "promise.recorded": "Promesse de paiement enregistrée",
    "dunning.scenario_created": "Scénario de relance créé",
    "dunning.scenario_updated": "Scénario de relance modifié",
    "customer.dunning_profile_changed": "Gestionnaire ou exclusion des relances modifiés",
    "reminder.sent": "Relance envoyée",
    "reminder.edited": "Message de la relance modifié",
    "reminder.postponed": "Relance reportée",
    "reminder.cancelled": "Relance annulée",
    "reminder.registered_mail_recorded": "N° de recommandé enregistré",
    "invoice.dunning_override": "Émission malgré le blocage des relances (dérogation)",
    "call.logged": "Appel de relance consigné",
    "call.confirmation_queued": "Confirmation écrite de l'appel mise en file d'envoi",
    "invoice.penalties_invoiced": "Pénalités de retard facturées",
    "invoice.penalties_waived": "Pénalités de retard abandonnées",
    "litigation.opened": "Dossier précontentieux constitué",
    "litigation.agency": "Dossier transmis à un cabinet de recouvrement",
    "litigation.court": "Procédure judiciaire engagée",
    "litigation.recovered": "Dossier précontentieux recouvré",
    "litigation.doubtful": "Créance passée en créance douteuse",
    "litigation.written_off": "Créance passée en perte (irrécouvrable)",
    "fiscal_year.opened": "Exercice ouvert",
    "fiscal_year.closed": "Exercice clôturé",
    "api_token.created": "Jeton d'API créé",
    "api_token.revoked": "Jeton d'API révoqué",
    "referencerate.recorded_from_ecb": "Taux BCE enregistré depuis le portail de la BCE",
}

# Keys of `changes` that are not model fields.
EXTRA_LABELS = {
    "dunning_level": "niveau de relance",
    "automatic": "envoi automatique",
    "exclusion": "exclusion des relances",
    "until": "jusqu'au",
    "claimed_invoices": "factures du dossier",
    "transferred": "transféré en 416",
    "total_claimed": "total réclamé",
    "lines": "lignes",
    "allowances": "remises et frais",
    "contact": "contact",
    "credited_invoice": "facture corrigée",
    "credit_note_draft": "avoir (brouillon n°)",
    "mode": "type d'avoir",
    "address": "adresse",
    "customer": "client",
    "invoice": "facture",
    "amount": "montant",
    "user": "utilisateur",
    "role": "rôle",
    "issue_date": "date d'émission",
    "allocations": "lettrage",
    "cheques": "chèques",
    "to": "destinataires",
    "subject": "objet",
    "reason": "motif",
    "as_of": "relevé au",
    "source": "origine",
    "note": "commentaire",
    "date": "date",
    "penalty_invoice": "facture de pénalités",
    "penalties": "pénalités",
    "recovery_fee": "indemnité forfaitaire",
}
# Keys whose list value is a list of items, not an (old, new) pair.
LIST_KEYS = {"allocations"}
# Stored codes shown in words.
VALUE_LABELS = {"mode": {"full": "total", "lines": "par lignes", "amount": "par montant"}}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DECIMAL = re.compile(r"^-?\d+\.\d+$")
MONEY_KEYS = ("total", "amount", "price", "capital", "threshold")


def _label(model, key: str) -> str:
    if key in EXTRA_LABELS:
        return EXTRA_LABELS[key]
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return key.replace("_", " ")
    # Reverse relations ("lines") have no verbose name.
    return str(getattr(field, "verbose_name", key))


def _text(key: str, value) -> str:
    """A stored value as a French reader expects it: 31/03/2026, 1 234,50 €, 2,5."""
    if key in VALUE_LABELS and value in VALUE_LABELS[key]:
        return VALUE_LABELS[key][value]
    if isinstance(value, str) and ISO_DATE.match(value):
        return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
    if isinstance(value, str) and DECIMAL.match(value):
        number = Decimal(value)
        if any(word in key for word in MONEY_KEYS):
            return format_eur(number)
        return format_decimal(number)
    if value in (None, ""):
        return "—"
    if value is True:
        return "oui"
    if value is False:
        return "non"
    return str(value)


def entries(obj) -> list[dict]:
    """Each entry with who, when, a French action label and its changes as text."""
    model = type(obj)
    rows = []
    for entry in trail(obj)[:200]:
        changes = []
        for key, value in (entry.changes or {}).items():
            if key in LIST_KEYS and isinstance(value, list):
                value = ", ".join(map(str, value))
            if isinstance(value, list) and len(value) == 2:
                changes.append(
                    {
                        "field": _label(model, key),
                        "old": _text(key, value[0]),
                        "new": _text(key, value[1]),
                    }
                )
            else:
                changes.append({"field": _label(model, key), "old": None, "new": _text(key, value)})
        rows.append(
            {
                "at": entry.created_at,
                "actor": entry.actor.get_full_name() or entry.actor.get_username()
                if entry.actor
                else "Système",
                "action": ACTION_LABELS.get(entry.action, entry.action),
                "changes": changes,
            }
        )
    return rows
