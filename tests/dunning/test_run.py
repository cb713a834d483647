"""The dunning run walked day by day over 90 days (issue 6).

Default French scenario, every level made automatic so that what the run sends on each
day is the whole truth: L1 e-mail from D+1, L2 from D+15, L3 from D+30, L4 from D+45 (D =
due date), one level at a time, each level no sooner than the gap of offsets after the
previous one was sent. All invoices are 10 hours × 65.00 HT + 20 % = 780.00 TTC, 30 days
net.
"""

import datetime as dt

import pytest

from encaisse.collection.disputes import open_dispute, resolve_dispute
from encaisse.collection.promises import record_promise
from encaisse.customers.services import create_customer
from encaisse.dunning.actions import cancel_reminder, postpone_reminder, send_reminder
from encaisse.dunning.models import Reminder, ReminderStatus
from encaisse.dunning.planning import blocking_level
from encaisse.dunning.run import run_dunning
from encaisse.dunning.scenarios import (
    DEFAULT_LEVELS,
    default_scenario,
    set_dunning_profile,
    update_scenario,
)
from encaisse.errors import Conflict, ValidationFailed
from encaisse.receivables.services.allocation import allocate

START = dt.date(2025, 3, 1)
DAYS = 90  # 1 March .. 29 May 2025
D = dt.date


def automatic(company, admin):
    """Every level sent by the run itself, but the registered letters (levels 3 and 4):
    validated with their registered-mail number (`send_registered`)."""
    update_scenario(
        default_scenario(company),
        {
            "levels": [
                {"rank": r, "day_offset": o, "channel": c, "needs_validation": c == "registered"}
                for r, o, c, _t, _v in DEFAULT_LEVELS
            ]
        },
        by=admin,
    )


def send_registered(company, admin, day):
    """The collector validates the day's registered letters, each with its number."""
    for reminder in Reminder.objects.filter(
        company=company, status=ReminderStatus.PROPOSED, channel="registered"
    ):
        send_reminder(reminder, by=admin, on=day, registered_mail_ref=f"1A {reminder.pk:05d}")


@pytest.fixture
def customers(company, admin):
    def make(name, siren):
        return create_customer(
            company,
            {
                "legal_name": name,
                "siren": siren,
                "email": f"compta@{name.lower()}.fr",
                "billing_line1": "1 rue de la Paix",
                "billing_postal_code": "75002",
                "billing_city": "Paris",
            },
            by=admin,
        )

    # Checksum-valid SIRENs.
    return {
        "alpha": make("Alpha", "319472346"),
        "beta": make("Beta", "443061841"),
        "gamma": make("Gamma", "404833048"),
        "delta": make("Delta", "542065479"),
        "epsilon": make("Epsilon", "383474814"),
    }


def test_ninety_days(company, admin, customers, invoice_of, pay):
    automatic(company, admin)
    alpha, beta, gamma, delta, epsilon = customers.values()

    def invoice(customer, issued):
        return invoice_of(10, issued, cust=customer, terms_kind="net", terms_days=30)

    # Issued in date order: the numbering is chronological.
    a1 = invoice(alpha, D(2025, 2, 15))  # due 17/03, never paid
    b1 = invoice(beta, D(2025, 2, 20))  # due 22/03, disputed 01/04 .. 20/04 (rejected)
    c1 = invoice(gamma, D(2025, 2, 20))  # due 22/03, promise kept
    d1 = invoice(delta, D(2025, 2, 20))  # due 22/03, promise broken
    e1 = invoice(epsilon, D(2025, 2, 20))  # due 22/03, customer excluded until 30/04
    a2 = invoice(alpha, D(2025, 2, 25))  # due 27/03, paid on 05/04
    assert (a1.due_date, a2.due_date, b1.due_date) == (
        D(2025, 3, 17),
        D(2025, 3, 27),
        D(2025, 3, 22),
    )
    assert a1.total_incl_vat == 780

    def promise(customer, inv):
        return record_promise(
            company,
            {
                "customer": customer.pk,
                "invoices": [inv.pk],
                "amount": "780.00",
                "promised_on": D(2025, 4, 10),  # + 3 days tolerance: due by 13/04
                "promised_by": "M. Martin",
                "channel": "phone",
                "recorded_on": D(2025, 3, 30),
            },
            by=admin,
        )

    def paid(customer, inv, on):
        payment = pay("780.00", on, cust=customer)
        allocate(payment, [(inv.installments.get(), "780.00")], by=admin, on=on)

    disputes = {}

    def open_b1(on):
        disputes["b1"] = open_dispute(
            company,
            {
                "invoice": b1.pk,
                "category": "quality",
                "customer_words": "Prestation incomplète",
                "owner": admin.pk,
                "department": "sales",
                "target_date": D(2025, 4, 30),
                "opened_on": on,
            },
            by=admin,
        )

    events = {
        D(2025, 3, 1): lambda: set_dunning_profile(
            epsilon,
            {"exclusion_reason": "Redressement judiciaire", "excluded_until": D(2025, 4, 30)},
            by=admin,
        ),
        D(2025, 3, 30): lambda: (promise(gamma, c1), promise(delta, d1)),
        D(2025, 4, 1): lambda: open_b1(D(2025, 4, 1)),
        D(2025, 4, 5): lambda: paid(alpha, a2, D(2025, 4, 5)),
        D(2025, 4, 9): lambda: paid(gamma, c1, D(2025, 4, 9)),
        D(2025, 4, 20): lambda: resolve_dispute(
            disputes["b1"], "rejected", reason="Prestation conforme", by=admin, on=D(2025, 4, 20)
        ),
    }

    sent = {}
    for offset in range(DAYS):
        day = START + dt.timedelta(days=offset)
        if day in events:
            events[day]()
        run_dunning(company, day)
        send_registered(company, admin, day)
        again = run_dunning(company, day)
        assert again.sent == [] and again.proposed == [], day  # idempotent
        for reminder in Reminder.objects.filter(company=company, sent_on=day):
            sent.setdefault(day, set()).add(
                (
                    reminder.customer.legal_name,
                    reminder.level,
                    tuple(
                        sorted(
                            (i.invoice.number, i.level, i.advances)
                            for i in reminder.items.all()
                            if i.amount_due > 0
                        )
                    ),
                )
            )
    n = {x: x.number for x in (a1, a2, b1, c1, d1, e1)}
    expected = {
        # Alpha: A1 due 17/03 → L1 18/03 (D+1), L2 01/04 (D+15), L3 16/04 (D+30), L4 01/05.
        D(2025, 3, 18): {("Alpha", 1, ((n[a1], 1, True),))},
        # B1, C1, D1, E1 due 22/03 → L1 on 23/03; Epsilon is excluded (held).
        D(2025, 3, 23): {
            ("Beta", 1, ((n[b1], 1, True),)),
            ("Gamma", 1, ((n[c1], 1, True),)),
            ("Delta", 1, ((n[d1], 1, True),)),
        },
        # A2 due 27/03 → L1 on 28/03; the letter also recalls A1 at level 1.
        D(2025, 3, 28): {("Alpha", 1, ((n[a1], 1, False), (n[a2], 1, True)))},
        # A1 at D+15; A2 (paid on 05/04) still open on 01/04: recalled at level 1.
        D(2025, 4, 1): {("Alpha", 2, ((n[a1], 2, True), (n[a2], 1, False)))},
        # 06/04 = 22/03 + 15: Beta is in dispute, Gamma and Delta under a pending promise:
        # all held. Delta's promise (due by 13/04) breaks: back at level 2 on 14/04.
        D(2025, 4, 14): {("Delta", 2, ((n[d1], 2, True),))},
        D(2025, 4, 16): {("Alpha", 3, ((n[a1], 3, True),))},
        # Beta's dispute rejected on 20/04: level 2 at once (its day, 06/04, has passed).
        D(2025, 4, 20): {("Beta", 2, ((n[b1], 2, True),))},
        # Delta L3: its day 21/04 (D+30), but no sooner than 14/04 + (30 − 15) = 29/04.
        D(2025, 4, 29): {("Delta", 3, ((n[d1], 3, True),))},
        D(2025, 5, 1): {
            ("Alpha", 4, ((n[a1], 4, True),)),
            # Epsilon's exclusion ends on 30/04: level 1 first, never skipped.
            ("Epsilon", 1, ((n[e1], 1, True),)),
        },
        # Beta L3: 20/04 + 15 = 05/05 (its day D+30 = 21/04 has passed).
        D(2025, 5, 5): {("Beta", 3, ((n[b1], 3, True),))},
        # Delta L4: 29/04 + 15 = 14/05. Epsilon L2: 01/05 + 14 = 15/05.
        D(2025, 5, 14): {("Delta", 4, ((n[d1], 4, True),))},
        D(2025, 5, 15): {("Epsilon", 2, ((n[e1], 2, True),))},
        # Beta L4: 05/05 + 15 = 20/05. Epsilon L3 would be 30/05: after the walk.
        D(2025, 5, 20): {("Beta", 4, ((n[b1], 4, True),))},
    }
    assert sent == expected
    # Gamma kept its promise: nothing sent after level 1; the level-2 reminder held while
    # the promise was pending was cancelled once the invoice was paid.
    gamma_reminders = Reminder.objects.filter(customer=gamma).order_by("pk")
    assert [(r.level, r.status) for r in gamma_reminders] == [
        (1, ReminderStatus.SENT),
        (2, ReminderStatus.CANCELLED),
    ]
    # Formal notices carry an 8-day deadline; level 3+ blocks invoicing.
    notice = Reminder.objects.get(customer=alpha, level=3)
    assert notice.deadline == D(2025, 4, 24)
    assert blocking_level(alpha, D(2025, 5, 29)) == 4


def test_held_reminder_says_why(company, admin, customers, invoice_of):
    beta = customers["beta"]
    b1 = invoice_of(10, D(2025, 2, 20), cust=beta, terms_kind="net", terms_days=30)
    open_dispute(
        company,
        {
            "invoice": b1.pk,
            "amount": "300.00",
            "category": "price",
            "customer_words": "Tarif non conforme",
            "owner": admin.pk,
            "department": "sales",
            "target_date": D(2025, 4, 30),
            "opened_on": D(2025, 3, 20),
        },
        by=admin,
    )
    report = run_dunning(company, D(2025, 3, 25))
    # Part of the invoice disputed: the rest (780 − 300 = 480) is reminded.
    (reminder,) = report.proposed  # and sent at once: level 1 is automatic
    assert report.sent == [reminder]
    (item,) = reminder.items.all()
    assert (item.open_amount, item.held_amount, item.amount_due) == (780, 300, 480)
    assert "Litige" in item.hold_reason and "300,00" in item.hold_reason
    assert reminder.principal == 480


def test_whole_dispute_holds_the_customer(company, admin, customers, invoice_of):
    beta = customers["beta"]
    b1 = invoice_of(10, D(2025, 2, 20), cust=beta, terms_kind="net", terms_days=30)
    open_dispute(
        company,
        {
            "invoice": b1.pk,
            "category": "price",
            "customer_words": "Tarif non conforme",
            "owner": admin.pk,
            "department": "sales",
            "target_date": D(2025, 4, 30),
            "opened_on": D(2025, 3, 20),
        },
        by=admin,
    )
    report = run_dunning(company, D(2025, 3, 25))
    (reminder,) = report.held
    assert reminder.status == ReminderStatus.HELD
    assert reminder.hold_reason.startswith("Litige n°")
    with pytest.raises(Conflict):
        send_reminder(reminder, by=admin, on=D(2025, 3, 25))


def test_proposal_validated_postponed_cancelled(company, admin, customers, invoice_of, pay):
    # Default scenario: level 1 automatic, level 2 needs validation.
    alpha = customers["alpha"]
    a1 = invoice_of(10, D(2025, 2, 15), cust=alpha, terms_kind="net", terms_days=30)
    first = run_dunning(company, D(2025, 3, 18))
    assert [r.level for r in first.sent] == [1]
    second = run_dunning(company, D(2025, 4, 1))
    (proposal,) = second.proposed
    assert (proposal.level, proposal.status) == (2, ReminderStatus.PROPOSED)
    # Not sent by itself, and the next day's run updates the same proposal.
    third = run_dunning(company, D(2025, 4, 2))
    assert third.sent == [] and [r.pk for r in third.updated] == [proposal.pk]
    with pytest.raises(ValidationFailed):
        send_reminder(proposal, by=admin, on=D(2025, 3, 31))  # before it was proposed
    with pytest.raises(ValidationFailed):
        postpone_reminder(proposal, D(2020, 1, 1), by=admin)  # not later than today
    with pytest.raises(ValidationFailed):
        cancel_reminder(proposal, "  ", by=admin)
    proposal.refresh_from_db()
    assert proposal.status == ReminderStatus.PROPOSED
    # Paid in full before the collector validates: sending cancels it instead.
    pay("780.00", D(2025, 4, 3), cust=alpha)
    allocate(alpha.payments.get(), [(a1.installments.get(), "780.00")], by=admin, on=D(2025, 4, 3))
    with pytest.raises(Conflict, match="Plus rien"):
        send_reminder(proposal, by=admin, on=D(2025, 4, 4))
    proposal.refresh_from_db()
    assert proposal.status == ReminderStatus.CANCELLED


def test_formal_notice_blocks_invoicing(company, admin, customers, invoice_of, make_invoice):
    from encaisse.audit.models import AuditEntry
    from tests.conftest import issue_on_day

    automatic(company, admin)
    alpha = customers["alpha"]
    invoice_of(10, D(2025, 2, 15), cust=alpha, terms_kind="net", terms_days=30)  # due 17/03
    for day in (D(2025, 3, 18), D(2025, 4, 1)):  # levels 1 and 2
        run_dunning(company, day)
    draft = make_invoice(cust=alpha)
    assert blocking_level(alpha, D(2025, 4, 2)) == 2
    issue_on_day(draft, by=admin, on=D(2025, 4, 2))  # level 2: not blocked
    run_dunning(company, D(2025, 4, 16))  # level 3, the formal notice
    send_registered(company, admin, D(2025, 4, 16))
    blocked = make_invoice(cust=alpha)
    with pytest.raises(Conflict, match="niveau 3") as error:
        issue_on_day(blocked, by=admin, on=D(2025, 4, 17))
    assert error.value.code == "blocked_by_dunning"
    blocked.refresh_from_db()
    assert blocked.number == ""  # refused: no number consumed
    issue_on_day(blocked, by=admin, on=D(2025, 4, 17), override_reason="Commande prépayée")
    entry = AuditEntry.objects.get(action="invoice.dunning_override")
    assert entry.changes == {"reason": "Commande prépayée", "dunning_level": 3}


def test_a_run_before_the_last_one_is_refused(company, admin, customers, invoice_of):
    alpha = customers["alpha"]
    invoice_of(10, D(2025, 2, 15), cust=alpha, terms_kind="net", terms_days=30)  # due 17/03
    automatic(company, admin)
    update_scenario(  # level 2 to validate: an open proposal stays
        default_scenario(company),
        {
            "levels": [
                {"rank": r, "day_offset": o, "channel": c, "needs_validation": r > 1}
                for r, o, c, _t, _v in DEFAULT_LEVELS
            ]
        },
        by=admin,
    )
    run_dunning(company, D(2025, 3, 18))
    run_dunning(company, D(2025, 4, 1))
    with pytest.raises(ValidationFailed, match="01/04/2025") as error:
        run_dunning(company, D(2025, 3, 31))
    assert error.value.code == "before_last_run"
    assert Reminder.objects.get(level=2).status == ReminderStatus.PROPOSED


def test_only_collection_roles_send(company, admin, customers, invoice_of, make_user):
    from encaisse.companies.models import Role
    from encaisse.errors import Forbidden

    alpha = customers["alpha"]
    invoice_of(10, D(2025, 2, 15), cust=alpha, terms_kind="net", terms_days=30)
    run_dunning(company, D(2025, 3, 18))
    (reminder,) = run_dunning(company, D(2025, 4, 1)).proposed  # level 2, to validate
    for role in (Role.SALES, Role.READ_ONLY):
        with pytest.raises(Forbidden):
            send_reminder(reminder, by=make_user(f"u-{role}", company, role), on=D(2025, 4, 1))
    collector = make_user("recouvreur", company, Role.COLLECTION)
    sent = send_reminder(reminder, by=collector, on=D(2025, 4, 1))
    assert sent.status == ReminderStatus.SENT and sent.sent_by == collector


def test_the_letter_takes_the_highest_level_it_claims(company, admin, customers, invoice_of):
    automatic(company, admin)
    alpha = customers["alpha"]
    a1 = invoice_of(10, D(2025, 2, 15), cust=alpha, terms_kind="net", terms_days=30)  # 17/03
    a2 = invoice_of(10, D(2025, 3, 10), cust=alpha, terms_kind="net", terms_days=30)  # 09/04
    for day in (D(2025, 3, 18), D(2025, 4, 1)):  # a1: levels 1 and 2
        run_dunning(company, day)
    (reminder,) = run_dunning(company, D(2025, 4, 10)).proposed  # a2 reaches level 1
    items = {i.invoice_id: (i.level, i.advances) for i in reminder.items.all()}
    assert items == {a1.pk: (2, False), a2.pk: (1, True)}
    # The customer already had a formal reminder: this one is a formal letter too.
    assert (reminder.level, reminder.template) == (2, "formal")
