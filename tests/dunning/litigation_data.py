"""A customer taken through the dunning levels up to the formal notice, through the
services (run_dunning, send_reminder), shared by the litigation tests of dunning, ledger
and web.

Two invoices issued on 2 January 2025, 30 days net (due 1 February 2025):
- A: 10 h × 65.00 HT = 650.00 + VAT 20 % 130.00 = 780.00 TTC;
- B: 10 h × 65.00 (650.00, VAT 130.00) + 4 × 18.90 (75.60 at 5.5 %, VAT 4.158 -> 4.16)
  = 725.60 HT + 134.16 VAT = 859.76 TTC; 359.76 paid on 10 February 2025, 500.00 left.
Reminders: level 1 on 2 Feb (D+1), level 2 on 16 Feb (D+15), level 3 (formal notice,
registered letter RR123456789FR) on 3 Mar (D+30).
"""

import datetime as dt

from encaisse.customers.services import create_customer
from encaisse.dunning.actions import send_reminder
from encaisse.dunning.models import Reminder, ReminderStatus
from encaisse.dunning.run import run_dunning
from encaisse.receivables.services.allocation import allocate
from tests.conftest import CUSTOMER, archived

ISSUED = dt.date(2025, 1, 2)
DUE = dt.date(2025, 2, 1)
PAID_B = dt.date(2025, 2, 10)
L1, L2, L3 = dt.date(2025, 2, 2), dt.date(2025, 2, 16), dt.date(2025, 3, 3)
OPENED = dt.date(2025, 3, 15)
REGISTERED = "RR123456789FR"


def make_debtor(company, admin, **extra):
    # Not the conftest's customer (make_invoice creates it): its own checksum-valid SIREN.
    data = {
        **CUSTOMER,
        "legal_name": "Brasserie Lemaire SAS",
        "siren": "542065479",
        "siret": "",
        "email": "compta@lemaire.example",
        "billing_line1": "8 quai Saint-Antoine",
    }
    return create_customer(company, {**data, **extra}, by=admin)


def make_invoices(debtor, make_invoice, product, service_product, pay, admin):
    a = make_invoice(
        lines=[{"product": service_product.pk, "quantity": "10"}],
        issue_on=ISSUED,
        cust=debtor,
        terms_kind="net",
        terms_days=30,
    )
    b = make_invoice(
        lines=[
            {"product": service_product.pk, "quantity": "10"},
            {"product": product.pk, "quantity": "4"},
        ],
        issue_on=ISSUED,
        cust=debtor,
        terms_kind="net",
        terms_days=30,
    )
    payment = pay("359.76", PAID_B, cust=debtor)
    allocate(payment, [(b.installments.get(), "359.76")], by=admin, on=PAID_B)
    archived()  # rendered by the worker: the litigation file carries their PDFs
    return a, b


def remind(company, admin, days=(L1, L2, L3), ref=REGISTERED):
    """Run the dunning on each day and send what it proposes (the registered-mail
    reference on the letters of level 3 and above)."""
    for day in days:
        run_dunning(company, day, by=admin)
        for reminder in Reminder.objects.filter(company=company, status=ReminderStatus.PROPOSED):
            send_reminder(
                reminder, by=admin, on=day, registered_mail_ref=ref if reminder.level >= 3 else ""
            )
    return list(Reminder.objects.filter(company=company, status=ReminderStatus.SENT))
