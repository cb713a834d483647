"""Collection calls: logged with their outcome, following the five steps of a collection
call (identify the right person, recall the facts, ask the reason, obtain a dated
commitment, confirm it in writing).

A call that ends in a promise or a dispute records it through the collection services
(collection.promises.record_promise, collection.disputes.open_dispute) in the same
transaction as the call: a refused promise leaves no call behind, and the reverse. The
written confirmation is prepared from what was agreed (`confirmation_message`), edited
by the collector, then queued in the outbox (`send_confirmation`).
"""

from django.db import transaction

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.collection.disputes import open_dispute
from encaisse.collection.models import PromiseChannel
from encaisse.collection.promises import record_promise
from encaisse.companies.permissions import COLLECT, require
from encaisse.customers.models import Contact, Customer
from encaisse.errors import Conflict, DomainError, NotFound, ValidationFailed
from encaisse.mailing.services import queue_mail
from encaisse.money import format_eur
from encaisse.receivables.services.payments import not_in_future, parse_date
from encaisse.validation import clean_column

from .models import Call, CallOutcome, CallStep, Reminder

# Keys of `data` for the promise and the dispute, and the service field each one feeds:
# prefixed so that one form holds both without two fields named "amount".
PROMISE_FIELDS = {
    "promise_invoices": "invoices",
    "promise_amount": "amount",
    "promised_on": "promised_on",
    "promise_tolerance_days": "tolerance_days",
}
DISPUTE_FIELDS = {
    "dispute_invoice": "invoice",
    "dispute_amount": "amount",
    "dispute_category": "category",
    "dispute_words": "customer_words",
    "dispute_owner": "owner",
    "dispute_department": "department",
    "dispute_target_date": "target_date",
}


def _is_id(value) -> bool:
    return str(value if value is not None else "").isdigit()


def _renamed(exc: DomainError, fields: dict) -> DomainError:
    """The error of a collection service, its field named as in the call's data."""
    if isinstance(exc, ValidationFailed) and exc.field:
        back = {service: ours for ours, service in fields.items()}
        exc.field = back.get(exc.field, exc.field)
    return exc


def _steps(value) -> list[str]:
    given = set(value or [])
    unknown = given - set(CallStep.values)
    if unknown:
        raise ValidationFailed("invalid_step", "Étape d'appel inconnue.", "steps")
    # Stored in the order of the method, whatever order they were ticked in.
    return [step for step in CallStep.values if step in given]


def log_call(company, data: dict, *, by) -> Call:
    """Log a collection call of `company`.

    data: customer (id), contact (id of one of its contacts) or contact_name, called_on
    (default today), steps (CallStep values), outcome (CallOutcome), callback_on (for a
    callback), note, reminder (id of a reminder of the customer: the phone task this
    call answers); for a promise: promise_invoices, promise_amount, promised_on,
    promise_tolerance_days; for a dispute: dispute_invoice, dispute_amount,
    dispute_category, dispute_words, dispute_owner, dispute_department,
    dispute_target_date.
    """
    require(by, company, COLLECT)
    customer = Customer.objects.filter(
        company=company, pk=data.get("customer") if _is_id(data.get("customer")) else None
    ).first()
    if customer is None:
        raise NotFound("Client introuvable.")
    contact = None
    if data.get("contact") not in (None, ""):
        contact = Contact.objects.filter(
            customer=customer, pk=data["contact"] if _is_id(data["contact"]) else None
        ).first()
        if contact is None:
            raise ValidationFailed(
                "unknown_contact",
                f"Ce contact n'est pas un contact de {customer.legal_name}.",
                "contact",
            )
    contact_name = (contact.name if contact else (data.get("contact_name") or "")).strip()
    if contact is None:
        contact_name = clean_column(Call, "contact_name", contact_name)
    today = clock.today()
    called_on = not_in_future(
        parse_date(data.get("called_on") or today, "called_on", "La date de l'appel"),
        "called_on",
    )
    steps = _steps(data.get("steps"))
    outcome = data.get("outcome")
    if outcome not in CallOutcome.values:
        raise ValidationFailed("invalid_outcome", "Choisissez l'issue de l'appel.", "outcome")
    callback_on = None
    if outcome == CallOutcome.CALLBACK:
        if not data.get("callback_on"):
            raise ValidationFailed(
                "required", "Indiquez la date à laquelle rappeler.", "callback_on"
            )
        callback_on = parse_date(data["callback_on"], "callback_on", "La date de rappel")
        if callback_on < today:
            raise ValidationFailed(
                "callback_in_past",
                "La date de rappel ne peut pas être passée.",
                "callback_on",
            )
    if outcome in (CallOutcome.PROMISE, CallOutcome.DISPUTE) and not contact_name:
        raise ValidationFailed(
            "required",
            "Indiquez l'interlocuteur : un contact du client ou son nom.",
            "contact",
        )
    reminder = None
    if data.get("reminder") not in (None, ""):
        reminder = Reminder.objects.filter(
            company=company,
            customer=customer,
            pk=data["reminder"] if _is_id(data["reminder"]) else None,
        ).first()
        if reminder is None:
            raise ValidationFailed(
                "unknown_reminder",
                f"Cette relance n'est pas une relance de {customer.legal_name}.",
                "reminder",
            )
    note = clean_column(Call, "note", (data.get("note") or "").strip())

    with transaction.atomic():
        promise = dispute = None
        if outcome == CallOutcome.PROMISE:
            try:
                promise = record_promise(
                    company,
                    {
                        **{svc: data.get(ours) for ours, svc in PROMISE_FIELDS.items()},
                        "customer": customer.pk,
                        "channel": PromiseChannel.PHONE,
                        "promised_by": contact_name,
                        "recorded_on": called_on,
                        "note": note,
                    },
                    by=by,
                )
            except DomainError as exc:
                raise _renamed(exc, PROMISE_FIELDS) from None
        elif outcome == CallOutcome.DISPUTE:
            invoice = data.get("dispute_invoice")
            if not _is_id(invoice) or not customer.invoices.filter(pk=invoice).exists():
                raise ValidationFailed(
                    "unknown_invoice",
                    f"Choisissez une facture de {customer.legal_name}.",
                    "dispute_invoice",
                )
            try:
                dispute = open_dispute(
                    company,
                    {
                        **{svc: data.get(ours) for ours, svc in DISPUTE_FIELDS.items()},
                        "opened_on": called_on,
                    },
                    by=by,
                )
            except DomainError as exc:
                raise _renamed(exc, DISPUTE_FIELDS) from None
        call = Call.objects.create(
            company=company,
            customer=customer,
            contact=contact,
            contact_name=contact_name[:200],
            called_on=called_on,
            by=by,
            steps=steps,
            outcome=outcome,
            callback_on=callback_on,
            note=note,
            promise=promise,
            dispute=dispute,
            reminder=reminder,
        )
        audit.record(
            "call.logged",
            call,
            by=by,
            changes={
                "customer": customer.legal_name,
                "contact": contact_name,
                "called_on": called_on,
                "outcome": call.get_outcome_display(),
                "steps": [CallStep(s).label for s in steps],
                **({"callback_on": callback_on} if callback_on else {}),
                **({"promise": str(promise)} if promise else {}),
                **({"dispute": str(dispute)} if dispute else {}),
            },
        )
    return call


def get_call(company, pk) -> Call:
    call = (
        Call.objects.filter(company=company, pk=pk if _is_id(pk) else None)
        .select_related("customer", "contact", "promise", "dispute__invoice", "by")
        .first()
    )
    if call is None:
        raise NotFound("Appel introuvable.")
    return call


def _recipients(call: Call) -> str:
    """The person called when they have an address, else the customer's billing
    contacts, else the customer's own address."""
    if call.contact_id and call.contact.email:
        return call.contact.email
    billing = [
        c.email for c in call.customer.contacts.filter(is_billing_contact=True).exclude(email="")
    ]
    if billing:
        return ", ".join(billing)
    return call.customer.email


def _signature(call: Call) -> str:
    name = call.by.get_full_name() or call.by.get_username()
    company = call.company
    lines = [name, company.legal_name]
    if company.phone:
        lines.append(f"Tél. {company.phone}")
    if company.email:
        lines.append(company.email)
    return "\n".join(lines)


def confirmation_message(call: Call) -> tuple[str, str, str]:
    """(to, subject, body) of the written confirmation of what the call agreed: the
    promise (amount, date, invoices) or the dispute recorded. Step five of the call."""
    if call.outcome not in (CallOutcome.PROMISE, CallOutcome.DISPUTE):
        raise Conflict(
            "nothing_to_confirm",
            "Seul un appel conclu par une promesse ou un litige se confirme par écrit.",
        )
    day = f"{call.called_on:%d/%m/%Y}"
    # A contact of the file greets by civility and name; a name typed during the call
    # ("Mme Lefèvre, comptabilité") is no greeting.
    greeting = call.contact.greeting if call.contact_id else "Bonjour,"
    if call.outcome == CallOutcome.PROMISE:
        promise = call.promise
        invoices = list(promise.invoices.order_by("issue_date", "number"))
        listed = "\n".join(
            f"- facture {i.number} du {i.issue_date:%d/%m/%Y} ({format_eur(i.total_incl_vat)} TTC)"
            for i in invoices
        )
        subject = (
            f"Confirmation de votre engagement de règlement de {format_eur(promise.amount)} "
            f"au {promise.promised_on:%d/%m/%Y}"
        )
        body = (
            f"{greeting}\n\n"
            f"Suite à notre entretien téléphonique du {day}, nous vous confirmons votre "
            f"engagement de régler la somme de {format_eur(promise.amount)} au plus tard "
            f"le {promise.promised_on:%d/%m/%Y}, au titre de :\n{listed}\n\n"
            "Nous vous remercions de nous prévenir sans délai si ce règlement ne pouvait "
            "pas intervenir à cette date.\n\n"
            f"Cordialement,\n\n{_signature(call)}"
        )
    else:
        dispute = call.dispute
        invoice = dispute.invoice
        subject = f"Votre contestation de la facture {invoice.number}"
        body = (
            f"{greeting}\n\n"
            f"Suite à notre entretien téléphonique du {day}, nous avons enregistré votre "
            f"contestation de la facture {invoice.number} du {invoice.issue_date:%d/%m/%Y}, "
            f"pour un montant de {format_eur(dispute.amount)} TTC "
            f"(motif : {dispute.get_category_display().lower()}).\n\n"
            f"Vos propos, tels que nous les avons notés : « {dispute.customer_words} »\n\n"
            f"Notre service {dispute.get_department_display().lower()} l'examine et "
            f"reviendra vers vous d'ici le {dispute.target_date:%d/%m/%Y}. Le montant "
            "contesté est suspendu de nos relances pendant ce temps ; le reste de la "
            "facture demeure dû à son échéance.\n\n"
            f"Cordialement,\n\n{_signature(call)}"
        )
    return _recipients(call), subject, body


def send_confirmation(call: Call, data: dict, *, by) -> Call:
    """Queue the written confirmation of `call` in the outbox. data: to, subject, body
    (each defaults to the prepared message). Once only: a second confirmation of the
    same call is refused."""
    require(by, call.company, COLLECT)
    to, subject, body = confirmation_message(call)
    data = data or {}
    with transaction.atomic():
        call = Call.objects.select_for_update(of=("self",)).get(pk=call.pk)
        if call.confirmation_mail_id is not None:
            raise Conflict(
                "already_confirmed",
                f"La confirmation de cet appel est déjà partie (e-mail n° "
                f"{call.confirmation_mail_id}) ; rien n'a changé.",
            )
        mail = queue_mail(
            call.company,
            to=data["to"] if data.get("to") is not None else to,
            subject=data["subject"] if data.get("subject") is not None else subject,
            body=data["body"] if data.get("body") is not None else body,
            customer=call.customer,
            by=by,
        )
        call.confirmation_mail = mail
        # Writing the confirmation is the call's fifth step.
        if CallStep.CONFIRM not in call.steps:
            call.steps = _steps([*call.steps, CallStep.CONFIRM])
        call.save(update_fields=["confirmation_mail", "steps"])
        audit.record(
            "call.confirmation_queued",
            call,
            by=by,
            changes={"to": ", ".join(mail.to), "subject": mail.subject},
        )
    return call
