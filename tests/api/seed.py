"""A company with five months of business, built through the services, for the
schemathesis run: what a real token sees, so that generated requests reach real records
(drafts to issue, invoices to credit and dispute, payments to allocate, reminders to
send) as well as missing ones.

The clock walks with the history (`freeze_time` on each business day): the services see
the day they would have run on, as the demo does.

Products: 24.50 HT at 5.5 % (goods) and 80.00 HT at 20 % (service hours).
"""

import contextlib
import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from freezegun import freeze_time

from encaisse.api.tokens import create_token
from encaisse.catalog.services import create_product
from encaisse.collection.disputes import open_dispute
from encaisse.collection.models import Dispute
from encaisse.collection.promises import record_promise
from encaisse.companies.models import Role
from encaisse.companies.services import add_member, create_company
from encaisse.customers.services import add_contact, create_customer
from encaisse.dunning.actions import send_reminder
from encaisse.dunning.models import Reminder, ReminderStatus
from encaisse.dunning.run import run_dunning
from encaisse.dunning.scenarios import set_dunning_profile
from encaisse.errors import DomainError
from encaisse.jobs.runner import run_pending_jobs
from encaisse.money import q2
from encaisse.receivables.models import Allocation, Installment
from encaisse.receivables.services.allocation import allocate
from encaisse.receivables.services.payments import record_payment
from encaisse.sales.models import InvoiceLine
from encaisse.sales.services import create_credit_note, create_invoice, issue_invoice

from ..conftest import CUSTOMER, SELLER

TODAY = dt.date(2026, 5, 15)  # inside the shipped table of reference rates
START = dt.date(2026, 1, 5)

PRODUCTS = [
    {
        "reference": "LEV-05",
        "label": "Levain déshydraté, seau de 5 kg",
        "kind": "goods",
        "unit": "C62",
        "unit_price": "24.50",
        "vat_rate": "5.5",
        "cost_price": "15.00",
    },
    {
        "reference": "FORM-H",
        "label": "Formation au façonnage, heure",
        "kind": "service",
        "unit": "HUR",
        "unit_price": "80.00",
        "vat_rate": "20",
    },
]
MORE_CUSTOMERS = [
    {
        "legal_name": "Fournil des Halles SAS",
        "siren": "443061841",
        "siret": "44306184100047",
        "email": "compta@fournil-halles.example",
        "billing_line1": "8 rue des Halles",
        "billing_postal_code": "75001",
        "billing_city": "Paris",
        "terms_kind": "eom",
        "terms_days": 45,
    },
    {
        "legal_name": "Pâtisserie Lenoir SARL",
        "siren": "542065479",
        "siret": "54206547900017",
        "billing_line1": "21 cours Mirabeau",
        "billing_postal_code": "13100",
        "billing_city": "Aix-en-Provence",
    },
    {
        "legal_name": "Julie Martin",
        "kind": "consumer",
        "email": "julie.martin@example.fr",
        "billing_line1": "4 impasse des Lilas",
        "billing_postal_code": "69003",
        "billing_city": "Lyon",
    },
    {
        "legal_name": "Bakkerij Peeters BV",
        "vat_number": "BE0417497106",
        "billing_line1": "Grote Markt 3",
        "billing_postal_code": "2000",
        "billing_city": "Antwerpen",
        "billing_country": "BE",
    },
]


@dataclass
class Seeded:
    key: str
    ids: dict[str, list[int]] = field(default_factory=dict)


def _ids(queryset) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True))


def _on(day: dt.date):
    return freeze_time(dt.datetime.combine(day, dt.time(10)))


def _user(username, company, role):
    user = get_user_model().objects.create_user(username, f"{username}@example.fr", "mdp-test")
    add_member(company, user, role)
    return user


def seed() -> Seeded:
    with _on(START):
        company = create_company(SELLER)
        admin = _user("admin", company, Role.ADMIN)
        collector = _user("claire", company, Role.COLLECTION)
        customer = create_customer(company, CUSTOMER, by=admin)
        product, service_product = (create_product(company, p, by=admin) for p in PRODUCTS)
        add_contact(
            customer,
            {"name": "Mme Dupont", "email": "compta@dupont.example", "is_billing_contact": True},
            by=admin,
        )
        customers = [customer] + [create_customer(company, c, by=admin) for c in MORE_CUSTOMERS]
        for each in customers:
            set_dunning_profile(each, {"collector": collector.pk}, by=admin)

    # Ten invoices over four months, one every 11 days, customer after customer.
    invoices = []
    for n in range(10):
        day = START + dt.timedelta(days=11 * n)
        lines = [
            {"product": product.pk, "quantity": str(n + 2)},
            {"product": service_product.pk, "quantity": "3", "discount_percent": "5"},
        ]
        with _on(day):
            draft = create_invoice(company, customer=customers[n % 5], lines=lines, by=admin)
            invoices.append(issue_invoice(draft, by=admin, on=day))

    payments = []
    for invoice, day, share in (
        (invoices[0], dt.date(2026, 2, 2), 1),  # paid in full and allocated
        (invoices[1], dt.date(2026, 2, 20), 1),
        (invoices[2], dt.date(2026, 3, 25), 2),  # paid half
    ):
        with _on(day):
            amount = q2(invoice.total_incl_vat / share)
            payment = record_payment(
                company,
                {
                    "customer": invoice.customer_id,
                    "amount": str(amount),
                    "date": day,
                    "method": "transfer",
                    "reference": invoice.number,
                },
                by=admin,
            )
            allocate(payment, [(invoice.installments.get().pk, payment.amount)], by=admin)
            payments.append(payment)
    with _on(dt.date(2026, 4, 20)):  # received, not yet matched
        payments.append(
            record_payment(
                company,
                {"customer": customer.pk, "amount": "150.00", "date": dt.date(2026, 4, 20),
                 "method": "cheque", "reference": "CHQ 0012"},
                by=admin,
            )
        )  # fmt: skip

    with _on(dt.date(2026, 3, 2)):
        note = create_credit_note(
            invoices[3], by=admin, mode="amount", amount="50.00", vat_rate="20", reason="Remise"
        )
        issue_invoice(note, by=admin, on=dt.date(2026, 3, 2))

    # The collector's weeks: a run every 7 days (1 February to 10 May), then today's; what
    # needs validation is sent the same day, except what the last week and today proposed.
    days = [dt.date(2026, 2, 1) + dt.timedelta(days=7 * n) for n in range(15)] + [TODAY]
    for day in days:
        with _on(day):
            if day == dt.date(2026, 4, 5):
                open_dispute(
                    company,
                    {
                        "invoice": invoices[5].pk,
                        "category": "quality",
                        "customer_words": "Le four livré chauffe mal.",
                        "owner": collector.pk,
                        "department": "logistics",
                        "target_date": dt.date(2026, 4, 25),
                        "opened_on": day,
                    },
                    by=collector,
                )
            if day == dt.date(2026, 4, 26):
                record_promise(
                    company,
                    {
                        "customer": invoices[6].customer_id,
                        "invoices": [invoices[6].pk],
                        "amount": str(invoices[6].total_incl_vat),
                        "promised_on": dt.date(2026, 5, 20),
                        "promised_by": "Service comptabilité",
                        "channel": "phone",
                    },
                    by=collector,
                )
            report = run_dunning(company, day, by=collector)
            if day + dt.timedelta(days=7) <= TODAY:
                for reminder in report.proposed + report.updated:
                    if reminder.status != ReminderStatus.PROPOSED:
                        continue
                    ref = f"1A {reminder.pk:05d} 9" if reminder.level >= 3 else ""
                    # A customer without an address stays proposed, as in real life.
                    with contextlib.suppress(DomainError):
                        send_reminder(reminder, by=collector, on=day, registered_mail_ref=ref)

    with _on(TODAY):
        drafts = [
            create_invoice(
                company,
                customer=each,
                lines=[{"product": service_product.pk, "quantity": "2"}],
                by=admin,
            )
            for each in customers[:3]
        ]
        key = create_token(admin, company, "schemathesis")[1]
    run_pending_jobs()  # the worker: the issued documents rendered and archived

    return Seeded(
        key=key,
        ids={
            "customers": [c.pk for c in customers],
            "invoices": [i.pk for i in invoices] + [note.pk] + [d.pk for d in drafts],
            "issued": [i.pk for i in invoices] + [note.pk],
            "drafts": [d.pk for d in drafts],
            "payments": [p.pk for p in payments],
            "allocations": _ids(Allocation.objects.filter(company=company)),
            "installments": _ids(Installment.objects.filter(company=company)),
            "reminders": _ids(Reminder.objects.filter(company=company)),
            "proposed": _ids(
                Reminder.objects.filter(company=company, status=ReminderStatus.PROPOSED)
            ),
            "disputes": _ids(Dispute.objects.filter(company=company)),
            "lines": _ids(InvoiceLine.objects.filter(invoice__company=company)),
            "products": [product.pk, service_product.pk],
            "users": [admin.pk, collector.pk],
        },
    )
