"""The audit trail of a record, in words a user reads: French action, field labels, the
labels of stored codes and the numbers or names of the records it refers to by id."""

import datetime as dt
import re
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse

from encaisse.audit.services import trail
from encaisse.companies.models import Role
from encaisse.customers.models import Customer
from encaisse.money import format_decimal, format_eur
from encaisse.receivables.models import Payment
from encaisse.sales.models import Invoice

User = get_user_model()

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
    "receivables.open_amounts_fixed": "Restes dus enregistrés corrigés d'après les lettrages",
    "customer.credit_limit_set": "Limite de crédit fixée",
    "customer.incident_recorded": "Incident de paiement enregistré",
    "invoice.credit_override": "Émission au-delà de la limite de crédit (dérogation)",
    "invoice.lifecycle_status": "Statut de facturation électronique",
    "mail.queued": "E-mail mis en file d'envoi",
    "mail.sent": "E-mail envoyé",
    "mail.failed": "Échec de l'envoi de l'e-mail",
    "mail.retried": "Nouvel essai d'envoi demandé",
    "job.retried": "Tâche de fond relancée",
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
    # --- match lane (bank reconciliation) ---
    "bank_line.matched": "Ligne de relevé rapprochée",
    "bank_line.assigned": "Ligne de relevé imputée à un compte",
    "bank_line.unmatched": "Rapprochement de la ligne annulé",
    "bank.reconciled": "Rapprochement bancaire automatique",
    # --- report lane (banking) ---
    "bank_reconciliation.validated": "État de rapprochement validé",
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
    "credit_note_draft": "avoir",
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
    "payment": "règlement",
    "levels": "niveaux",
    "steps": "étapes",
    "invoices": "factures",
}
# Keys whose list value is a list of items, not an (old, new) pair (a pair of such lists
# is still a pair: a scenario's levels before and after).
LIST_KEYS = {"allocations", "segments", "steps", "invoices", "levels"}
# Stored codes of keys that are not fields of the record, shown by their labels. Codes of
# the record's own fields are shown by their field's choices (« Professionnel »).
VALUE_LABELS = {
    "mode": {"full": "total", "lines": "par lignes", "amount": "par montant"},
    "role": dict(Role.choices),
}
# Keys that hold the id of another record: shown by its name or number, with a link.
REFERENCES = {"payment": Payment, "credit_note_draft": Invoice}
SHOWN_AS = {Payment: lambda p: p.number, User: lambda u: u.get_full_name() or u.get_username()}
LINKS = {
    Payment: "web:payment_detail",
    Invoice: "web:invoice_detail",
    Customer: "web:customer_detail",
}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DECIMAL = re.compile(r"^-?\d+\.\d+$")
MONEY_KEYS = ("total", "amount", "price", "capital", "threshold")


def _field(model, key: str):
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def _label(model, key: str) -> str:
    if key in EXTRA_LABELS:
        return EXTRA_LABELS[key]
    field = _field(model, key)
    if field is None:
        return key.replace("_", " ")
    # Reverse relations ("lines") have no verbose name.
    return str(getattr(field, "verbose_name", key))


def _referenced(model, key: str):
    """The model whose id `key` holds, if any: a named reference or a foreign key."""
    if key in REFERENCES:
        return REFERENCES[key]
    field = _field(model, key)
    if field is not None and field.many_to_one:
        return field.related_model
    return None


def _codes(model, key: str) -> dict:
    if key in VALUE_LABELS:
        return VALUE_LABELS[key]
    field = _field(model, key)
    if getattr(field, "choices", None):  # reverse relations ("lines") have none
        return {code: str(label) for code, label in field.flatchoices}
    return {}


def _is_pair(key: str, value) -> bool:
    if not isinstance(value, list) or len(value) != 2:
        return False
    return key not in LIST_KEYS or all(isinstance(v, list) for v in value)


class _Reader:
    """Turns one trail's stored values into text, the referenced records read at once."""

    def __init__(self, model, entries):
        self.model = model
        wanted: dict = {}
        for entry in entries:
            for key, value in (entry.changes or {}).items():
                target = _referenced(model, key)
                if target is not None:
                    values = value if isinstance(value, list) else [value]
                    ids = {v for v in values if isinstance(v, int) and not isinstance(v, bool)}
                    wanted.setdefault(target, set()).update(ids)
        companies = {entry.company_id for entry in entries}
        self.records = {}
        for target, ids in wanted.items():
            found = target.objects.filter(pk__in=ids)
            if _field(target, "company") is not None:  # never another company's names
                found = found.filter(company_id__in=companies)
            self.records[target] = found.in_bulk()

    def record(self, key: str, value):
        """The referenced record of a stored id, or None."""
        target = _referenced(self.model, key)
        if target is None or not isinstance(value, int) or isinstance(value, bool):
            return None
        return self.records.get(target, {}).get(value)

    def text(self, key: str, value) -> str:
        """A stored value as a French reader expects it: 31/03/2026, 1 234,50 €, 2,5, the
        label of a code, the number or name of a referenced record."""
        if isinstance(value, list):
            return ", ".join(self.text(key, item) for item in value) or "—"
        found = self.record(key, value)
        if found is not None:
            return SHOWN_AS.get(type(found), str)(found)
        codes = _codes(self.model, key)
        if isinstance(value, str | int) and not isinstance(value, bool) and value in codes:
            return codes[value]
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

    def link(self, key: str, value) -> str | None:
        found = self.record(key, value)
        if found is None or type(found) not in LINKS:
            return None
        return reverse(LINKS[type(found)], args=[found.pk])

    def change(self, key: str, value) -> dict:
        field = _label(self.model, key)
        if _is_pair(key, value):
            old, new = value
            return {
                "field": field,
                "old": self.text(key, old),
                "new": self.text(key, new),
                "url": self.link(key, new),
            }
        return {
            "field": field,
            "old": None,
            "new": self.text(key, value),
            "url": self.link(key, value),
        }


def entries(obj) -> list[dict]:
    """Each entry with who, when, a French action label and its changes as text."""
    found = list(trail(obj)[:200])
    reader = _Reader(type(obj), found)
    return [
        {
            "at": entry.created_at,
            "actor": entry.actor.get_full_name() or entry.actor.get_username()
            if entry.actor
            else "Système",
            "action": ACTION_LABELS.get(entry.action, entry.action),
            "changes": [reader.change(k, v) for k, v in (entry.changes or {}).items()],
        }
        for entry in found
    ]
