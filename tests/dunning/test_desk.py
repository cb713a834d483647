"""The collector's agenda (dunning.desk): each section from hand-made data, built through
the services on the days they happen.

Every invoice is 10 hours × 65.00 HT + 20 % VAT = 780.00 TTC, issued on 01/03/2025 at
30 days net: due on 31/03/2025. Default scenario: level 1 e-mail at D+1 (automatic),
level 2 letter and e-mail at D+15 (to validate); customers of the "à risque" segment
follow a scenario whose level 1 is a phone call to validate. Today is 15/04/2025.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from freezegun import freeze_time

from encaisse.collection.disputes import open_dispute
from encaisse.collection.promises import record_promise
from encaisse.companies.models import Role
from encaisse.customers.credit import set_credit_limit
from encaisse.customers.services import add_contact, create_customer
from encaisse.dunning.calls import log_call
from encaisse.dunning.desk import desk
from encaisse.dunning.run import run_dunning
from encaisse.dunning.scenarios import create_scenario, set_dunning_profile

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 4, 15)
ISSUED = dt.date(2025, 3, 1)


def rows(agenda, key):
    """(customer, what, amount, date) of a section's rows."""
    (section,) = [s for s in agenda.sections if s.key == key]
    return [(r.customer.legal_name, r.what, r.amount, r.date) for r in section.rows]


@pytest.fixture
def bob(company, make_user):
    return make_user("bob", company, Role.COLLECTION)


@pytest.fixture
def book(company, admin, bob, invoice_of):
    """Five customers of admin's (alpha, beta, delta, epsilon) and bob's (gamma)."""
    create_scenario(
        company,
        {
            "name": "Téléphone",
            "segments": ["risky"],
            "levels": [
                {"rank": 1, "day_offset": 1, "channel": "phone", "needs_validation": True},
                {"rank": 2, "day_offset": 15, "channel": "letter", "needs_validation": True},
            ],
        },
        by=admin,
    )

    def customer(name, siren, collector, segment="standard"):
        c = create_customer(
            company,
            {
                "legal_name": name,
                "siren": siren,
                "segment": segment,
                "email": f"compta@{name.lower()}.fr",
                "billing_line1": "1 rue de la Paix",
                "billing_postal_code": "75002",
                "billing_city": "Paris",
            },
            by=admin,
        )
        return set_dunning_profile(c, {"collector": collector.pk}, by=admin)

    alpha = customer("Alpha", "319472346", admin, "risky")
    beta = customer("Beta", "443061841", admin)
    gamma = customer("Gamma", "404833048", bob)
    delta = customer("Delta", "542065479", admin)
    epsilon = customer("Epsilon", "383474814", admin)

    def invoice(c, on=ISSUED):
        return invoice_of(10, on, cust=c, terms_kind="net", terms_days=30)

    invoices = {c.legal_name: invoice(c) for c in (alpha, beta, gamma, delta, epsilon)}
    d2 = invoice(delta)
    with freeze_time("2025-04-01 09:00:00"):
        run_dunning(company, dt.date(2025, 4, 1), by=admin)
        # Delta's second invoice disputed, to be settled by 10/04: past on 15/04.
        dispute = open_dispute(
            company,
            {
                "invoice": d2.pk,
                "category": "quality",
                "customer_words": "Four livré rayé",
                "owner": admin.pk,
                "department": "sales",
                "target_date": dt.date(2025, 4, 10),
                "opened_on": dt.date(2025, 4, 1),
            },
            by=admin,
        )
    with freeze_time("2025-04-05 09:00:00"):
        # 780.00 for 10/04, 3 days' tolerance: due by 13/04, never paid: broken on 14/04.
        record_promise(
            company,
            {
                "customer": delta.pk,
                "invoices": [invoices["Delta"].pk],
                "amount": "780.00",
                "promised_on": dt.date(2025, 4, 10),
                "tolerance_days": 3,
                "promised_by": "M. Delta",
                "channel": "phone",
            },
            by=admin,
        )
    with freeze_time("2025-04-10 09:00:00"):
        log_call(
            company,
            {
                "customer": beta.pk,
                "contact_name": "Mme Beta",
                "outcome": "callback",
                "callback_on": dt.date(2025, 4, 14),
            },
            by=admin,
        )
        # Beta's new invoice: 780.00 + 780.00 = 1,560.00 open from 10/04.
        invoice(beta, dt.date(2025, 4, 10))
    with freeze_time("2025-04-14 09:00:00"):
        # Pending on 15/04: promised for 14/04, due by 17/04.
        record_promise(
            company,
            {
                "customer": epsilon.pk,
                "invoices": [invoices["Epsilon"].pk],
                "amount": "780.00",
                "promised_on": dt.date(2025, 4, 14),
                "tolerance_days": 3,
                "promised_by": "Mme Epsilon",
                "channel": "email",
            },
            by=admin,
        )
    # Beta: 780.00 open on 08/04 (under 1,000.00), 1,560.00 on 15/04: newly over by
    # 560.00. Epsilon: 780.00 on both days, over 100.00 for more than 7 days: not new.
    set_credit_limit(beta, limit="1000", origin="manual", by=admin)
    set_credit_limit(epsilon, limit="100", origin="manual", by=admin)
    with freeze_time("2025-04-15 08:00:00"):
        run_dunning(company, TODAY, by=admin)
    return {"dispute": dispute, "alpha": alpha, "delta": delta, "beta": beta}


def test_collector_agenda(company, admin, book):
    agenda = desk(company, admin, TODAY)
    assert (agenda.everyone, agenda.no_collectors) == (False, False)
    assert rows(agenda, "calls") == [
        # Alpha's level 1 is a call, proposed again by today's run (not made yet).
        ("Alpha", "Appel de relance (niveau 1)", D("780.00"), TODAY),
        ("Beta", "Rappeler (Mme Beta)", None, dt.date(2025, 4, 14)),
        # Broken on 14/04, reminded since by nobody: delta's level 2 is only proposed.
        ("Delta", "Promesse non tenue", D("780.00"), dt.date(2025, 4, 13)),
    ]
    # Level 2 on 15/04: D+15 and 14 days after level 1 (01/04). Delta's disputed
    # invoice is held: 780.00 claimed, not 1,560.00.
    assert rows(agenda, "validate") == [
        ("Beta", "Relance formelle (niveau 2)", D("780.00"), TODAY),
        ("Delta", "Relance formelle (niveau 2)", D("780.00"), TODAY),
    ]
    assert rows(agenda, "promises") == [
        ("Epsilon", "Promesse de 780,00\u00a0€", D("780.00"), dt.date(2025, 4, 14)),
    ]
    assert rows(agenda, "disputes") == [
        (
            "Delta",
            f"Litige n° {book['dispute'].pk} — facture {book['dispute'].invoice.number}",
            D("780.00"),
            dt.date(2025, 4, 10),
        ),
    ]
    # 1,560.00 - 1,000.00 = 560.00 over.
    assert rows(agenda, "credit") == [
        ("Beta", "Limite de crédit dépassée", D("560.00"), TODAY),
    ]
    assert agenda.count == 3 + 2 + 1 + 1 + 1


def test_other_collector_and_everyone(company, admin, bob, book):
    mine = desk(company, bob, TODAY)
    assert [rows(mine, s.key) for s in mine.sections] == [
        [],
        [("Gamma", "Relance formelle (niveau 2)", D("780.00"), TODAY)],
        [],
        [],
        [],
    ]
    everyone = desk(company, bob, TODAY, everyone=True)
    assert [name for name, *_ in rows(everyone, "validate")] == ["Beta", "Gamma", "Delta"]


def test_calls_logged_today_clear_the_callback_and_the_broken_promise(company, admin, book):
    with freeze_time("2025-04-15 10:00:00"):
        for customer in (book["beta"], book["delta"]):
            log_call(
                company,
                {"customer": customer.pk, "contact_name": "Accueil", "outcome": "no_answer"},
                by=admin,
            )
    assert [name for name, *_ in rows(desk(company, admin, TODAY), "calls")] == ["Alpha"]


def test_no_collector_named_shows_everything(company, admin, customer, invoice_of):
    add_contact(
        customer,
        {"name": "Compta", "email": "compta@dupont.fr", "is_billing_contact": True},
        by=admin,
    )
    invoice_of(10, ISSUED, terms_kind="net", terms_days=30)
    with freeze_time("2025-04-15 08:00:00"):
        run_dunning(company, dt.date(2025, 4, 1), by=admin)
        run_dunning(company, TODAY, by=admin)
    agenda = desk(company, admin, TODAY)
    assert (agenda.everyone, agenda.no_collectors) == (True, True)
    assert rows(agenda, "validate") == [
        ("Boulangerie Dupont SARL", "Relance formelle (niveau 2)", D("780.00"), TODAY)
    ]
