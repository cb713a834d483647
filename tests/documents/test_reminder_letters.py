"""Dunning letters: one PDF per level, whose text says what it must, with every amount
worked out by hand. The reminders are made as in real life: the dunning run proposes
them, the collector sends them (dunning.actions.send_reminder, which stores the letter).

Reference rates (collection 0001): ECB rate in force on 1 Jan 2025 = 3.15 %, on 1 Jul
2025 = 2.15 %, so the legal default penalty rate is 13.15 % for Jan–Jun 2025 and 12.15 %
for Jul–Dec 2025, over 365 days.

The invoices, issued through the services with the company's default terms (30 days):
- FA2025-00001, 15 Apr 2025, 10 000,00 € TTC (8 333,33 HT + 20 %), due 15 May 2025;
- FA2025-00002, 2 May 2025, 5 h × 78,00 = 390,00 € TTC, due 1 Jun 2025.
Default scenario: level 1 from D+1, 2 from D+15, 3 from D+30, 4 from D+45, each no
sooner than the gap of offsets after the previous one was sent. The collector sends
level 1 on 10 Jun, level 2 on 30 Jun, level 3 on 15 Jul, level 4 on 30 Jul.

Penalties, per period (base × rate × days / 365, rounded to the cent):
  FA2025-00001: 16 May–30 Jun, 46 d at 13.15 %: 10 000 × 13.15 % × 46 / 365 = 165.726… → 165.73
                1–15 Jul, 15 d at 12.15 %: 10 000 × 12.15 % × 15 / 365 = 49.931… → 49.93
                1–30 Jul, 30 d at 12.15 %: 10 000 × 12.15 % × 30 / 365 = 99.863… → 99.86
  FA2025-00002: 2–30 Jun, 29 d at 13.15 %: 390 × 13.15 % × 29 / 365 = 4.074… → 4.07
                1–15 Jul, 15 d at 12.15 %: 390 × 12.15 % × 15 / 365 = 1.947… → 1.95
                1–30 Jul, 30 d at 12.15 %: 390 × 12.15 % × 30 / 365 = 3.894… → 3.89

ENCAISSE_PDF_DUMP=/some/dir keeps the PDFs (to look at them).
"""

import datetime as dt
from decimal import Decimal

import pytest

from encaisse.catalog.services import create_product
from encaisse.collection.disputes import open_dispute
from encaisse.collection.penalties import penalties
from encaisse.customers.services import create_customer
from encaisse.documents.reminders import long_date, reminder_context, reminder_pdf
from encaisse.dunning.actions import send_reminder
from encaisse.dunning.models import Reminder, ReminderStatus, Template
from encaisse.dunning.run import run_dunning
from encaisse.dunning.scenarios import DEFAULT_LEVELS, default_scenario, update_scenario
from encaisse.receivables.services.allocation import allocate

from .qr import qr_payloads
from .test_pdf import NBSP, dump, eur, pages_text, pdfa_id
from .test_statement_pdf import flat

pytestmark = pytest.mark.django_db

ISSUED = dt.date(2025, 4, 15)
DUE = dt.date(2025, 5, 15)
MAIL = ["compta@boulangerie-dupont.fr"]
# The days the collector sends each level (see the module docstring).
SENDS = {1: dt.date(2025, 6, 10), 2: dt.date(2025, 6, 30), 3: dt.date(2025, 7, 15),
         4: dt.date(2025, 7, 30)}  # fmt: skip


@pytest.fixture
def big_invoice(company, admin, make_invoice):
    """FA2025-00001: 10 000,00 € TTC, due 15 May 2025."""
    oven = create_product(
        company,
        {
            "reference": "FOUR-01",
            "label": "Four à sole",
            "kind": "goods",
            "unit_price": "8333.33",
            "vat_rate": "20",
        },
        by=admin,
    )

    def make(cust=None):
        invoice = make_invoice(
            lines=[{"product": oven.pk, "quantity": "1"}], issue_on=ISSUED, cust=cust
        )
        assert invoice.total_incl_vat == Decimal("10000.00")
        assert invoice.due_date == DUE
        return invoice

    return make


@pytest.fixture
def two_invoices(big_invoice, invoice_of):
    big = big_invoice()
    small = invoice_of(5, dt.date(2025, 5, 2))
    assert small.total_incl_vat == Decimal("390.00") and small.due_date == dt.date(2025, 6, 1)
    return big, small


def proposed(company, customer, on):
    """Run the dunning on `on`: the customer's reminder it proposes."""
    run_dunning(company, on)
    return Reminder.objects.get(customer=customer, status=ReminderStatus.PROPOSED)


def registered_ref(reminder) -> dict:
    """The registered-mail number a registered letter (levels 3 and 4) is sent with."""
    return {"registered_mail_ref": f"1A 000 {reminder.level}"} if reminder.is_registered else {}


def send_up_to(company, customer, admin, level, **send):
    """Run and send levels 1 to `level` on their days (SENDS): the last one sent."""
    for rank in range(1, level + 1):
        reminder = proposed(company, customer, SENDS[rank])
        assert reminder.level == rank
        given = {**registered_ref(reminder), **(send if rank == level else {})}
        reminder = send_reminder(reminder, by=admin, on=SENDS[rank], to=MAIL, **given)
    return reminder


def letter_text(reminder, name):
    pdf = reminder_pdf(reminder)
    dump(f"reminder_{name}", pdf)
    assert pdf.startswith(b"%PDF-") and pdfa_id(pdf) == ("3", "B")
    return " ".join(flat(page) for page in pages_text(pdf))


def stored_text(reminder, name):
    """The text of the letter the send stored."""
    pdf = bytes(reminder.letter_pdf)
    dump(f"reminder_{name}", pdf)
    assert pdfa_id(pdf) == ("3", "B")
    return " ".join(flat(page) for page in pages_text(pdf))


def emphasised(label, amount, text):
    """The total in the coloured box: pypdf reads its label and amount with or without
    a space between them."""
    return f"{label} {amount}" in text or f"{label}{amount}" in text


def test_long_date():
    assert long_date(dt.date(2026, 12, 1)) == "1er décembre 2026"
    assert long_date(dt.date(2025, 7, 31)) == "31 juillet 2025"


def test_courtesy_reminder_before_the_due_date(company, admin, customer, big_invoice):
    update_scenario(
        default_scenario(company),
        {
            "levels": [{"rank": 0, "day_offset": -5, "channel": "letter"}]
            + [
                {"rank": r, "day_offset": o, "channel": c, "needs_validation": v}
                for r, o, c, _t, v in DEFAULT_LEVELS
            ]
        },
        by=admin,
    )
    big_invoice()
    run_dunning(company, dt.date(2025, 5, 10))
    # A letter that needs no validation: the run sent it.
    reminder = Reminder.objects.get(customer=customer)
    assert reminder.template == Template.COURTESY and reminder.status == ReminderStatus.SENT
    text = stored_text(reminder, "0_courtesy")
    assert "Lyon, le 10 mai 2025" in text
    assert "Boulangerie Dupont SARL" in text and "3 place Bellecour" in text
    assert "Objet : Rappel d'échéance — 1 facture" in text
    assert "arrive prochainement à échéance" in text
    # Not late: due in 5 days; no penalty, no fee, no deadline.
    assert (
        f"FA2025-00001 15/04/2025 15/05/2025 à échoir {eur('10 000,00 €')} "
        f"{eur('10 000,00 €')} 0" in text
    )
    assert emphasised("Total dû", eur("10 000,00 €"), text)
    assert "pénalités" not in text.lower() and "Au plus tard" not in text
    # One invoice: its RF reference (FA202500001: check digits 84), as on the invoice.
    assert f"IBAN FR76{NBSP}3000" in text
    assert f"Référence à rappeler : RF84{NBSP}FA20{NBSP}2500{NBSP}001 (facture FA2025-00001)" in (
        text
    )
    assert "Service recouvrement" in text and "Atelier Martin SAS" in text
    # The EPC QR code pays that invoice: its amount due and its RF reference.
    [code] = qr_payloads(bytes(reminder.letter_pdf))
    assert code.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "AGRIFRPP",
        "Atelier Martin SAS",
        "FR7630006000011234567890189",
        "EUR10000.00",
        "",
        "RF84FA202500001",
    ]


def test_amicable_reminder_lists_the_overdue_invoices(company, customer, two_invoices):
    # Proposed on 10 Jun (its automatic e-mail found no address): the letter's preview.
    reminder = proposed(company, customer, SENDS[1])
    text = letter_text(reminder, "1_amicable")
    assert "Lyon, le 10 juin 2025" in text
    assert "simple oubli" in text and "par virement" in text
    # 10 Jun − 15 May = 26 days; 10 Jun − 1 Jun = 9 days.
    assert (
        f"FA2025-00001 15/04/2025 15/05/2025 26 j {eur('10 000,00 €')} "
        f"{eur('10 000,00 €')} 1" in text
    )
    assert f"FA2025-00002 02/05/2025 01/06/2025 9 j {eur('390,00 €')} {eur('390,00 €')} 1" in text
    # 10 000,00 + 390,00 = 10 390,00
    assert f"pour un montant total de {eur('10 390,00 €')}" in text
    assert emphasised("Total dû", eur("10 390,00 €"), text)
    assert "Référence à rappeler : FA2025-00001, FA2025-00002" in text
    # An amicable letter claims no penalty.
    assert "Pénalités" not in text and "40,00" not in text
    # Two invoices: the code pays the total, no RF (it names one invoice), the numbers as
    # unstructured remittance text.
    [code] = qr_payloads(reminder_pdf(reminder))
    lines = code.split("\n")
    assert lines[7:] == ["EUR10390.00", "", "", "Factures FA2025-00001 FA2025-00002"]


def test_formal_reminder_states_penalties_and_fees_accrued(company, admin, customer, two_invoices):
    reminder = send_up_to(company, customer, admin, 2)
    assert reminder.template == Template.FORMAL and reminder.letter_pdf
    text = stored_text(reminder, "2_formal")
    assert "Lyon, le 30 juin 2025" in text and "Objet : Deuxième relance" in text
    assert "Malgré nos relances du 10/06/2025" in text
    assert "au plus tard le 08/07/2025" in text  # 30 Jun + 8 days
    assert "art. L.441-10 et D.441-5 du Code de commerce" in text
    # On 30 Jun: FA2025-00001 165.73 + 40.00 fee, with its principal 10 205.73;
    # FA2025-00002 4.07 + 40.00, with its principal 434.07.
    # Penalties 165.73 + 4.07 = 169.80; fees 80.00; 10 390.00 + 169.80 + 80.00 = 10 639.80
    assert (
        f"FA2025-00001 {eur('10 000,00 €')} {eur('165,73 €')} {eur('40,00 €')} "
        f"{eur('10 205,73 €')}" in text
    )
    assert (
        f"FA2025-00002 {eur('390,00 €')} {eur('4,07 €')} {eur('40,00 €')} {eur('434,07 €')}" in text
    )
    assert (
        f"elles s'élèvent à {eur('169,80 €')} de pénalités et {eur('80,00 €')} d'indemnités, "
        f"soit un total dû de {eur('10 639,80 €')}" in text
    )
    assert (
        f"Total dû {eur('10 390,00 €')} {eur('169,80 €')} {eur('80,00 €')} {eur('10 639,80 €')}"
        in text
    )
    assert reminder.total == Decimal("10639.80")
    # A formal reminder gives the amounts, not the period-by-period table.
    assert "Détail des pénalités" not in text
    # The code asks for what the letter asks for: principal, penalties and fees.
    [code] = qr_payloads(bytes(reminder.letter_pdf))
    assert code.split("\n")[7] == "EUR10639.80"


def test_formal_notice_shows_every_amount_of_the_penalty_table(
    company, admin, customer, two_invoices
):
    big, small = two_invoices
    reminder = send_up_to(company, customer, admin, 3, registered_mail_ref="1A 123 456 7890 1")
    assert reminder.template == Template.FORMAL_NOTICE
    assert reminder.deadline == dt.date(2025, 7, 23)  # 15 Jul + 8 days
    text = stored_text(reminder, "3_formal_notice")
    assert "LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION n° 1A 123 456 7890 1" in text
    assert "Objet : Mise en demeure de payer" in text and "MISE EN DEMEURE DE PAYER" in text
    assert "Malgré nos relances des 10/06/2025 et 30/06/2025" in text
    assert "article 1344 du Code civil" in text
    assert "dans un délai de 8 jours, soit au plus tard le 23/07/2025" in text
    # Every period of the engine's tables on 15 Jul (module docstring).
    periods = [
        ("FA2025-00001", "16/05/2025", "30/06/2025", 46, "10 000,00 €", "13,15", "165,73 €"),
        ("FA2025-00001", "01/07/2025", "15/07/2025", 15, "10 000,00 €", "12,15", "49,93 €"),
        ("FA2025-00002", "02/06/2025", "30/06/2025", 29, "390,00 €", "13,15", "4,07 €"),
        ("FA2025-00002", "01/07/2025", "15/07/2025", 15, "390,00 €", "12,15", "1,95 €"),
    ]
    for number, start, end, days, base, rate, amount in periods:
        assert f"{number} {start} {end} {days} {eur(base)} {rate}{NBSP}% {eur(amount)}" in text
    # The letter's periods are the engine's, figure for figure.
    engine = [
        (p.days, p.amount) for invoice in (big, small) for p in penalties(invoice, SENDS[3]).periods
    ]
    assert engine == [
        (days, Decimal(amount.removesuffix(" €").replace(",", ".")))
        for _n, _s, _e, days, _b, _r, amount in periods
    ]
    # FA2025-00001: 165.73 + 49.93 = 215.66; + 40.00 + 10 000.00 = 10 255.66
    # FA2025-00002: 4.07 + 1.95 = 6.02; + 40.00 + 390.00 = 436.02
    # Principal 10 390.00 + penalties 221.68 + fees 2 × 40.00 = 10 691.68
    assert (
        f"FA2025-00001 {eur('10 000,00 €')} {eur('215,66 €')} {eur('40,00 €')} "
        f"{eur('10 255,66 €')}" in text
    )
    assert (
        f"FA2025-00002 {eur('390,00 €')} {eur('6,02 €')} {eur('40,00 €')} {eur('436,02 €')}" in text
    )
    assert (
        f"Total réclamé {eur('10 390,00 €')} {eur('221,68 €')} {eur('80,00 €')} "
        f"{eur('10 691,68 €')}" in text
    )
    assert f"nous régler la somme de {eur('10 691,68 €')}" in text
    assert "injonction de payer" in text
    assert f"Taux de 13,15{NBSP}% : Taux BCE au 01/01/2025 (3,15 %) + 10 points" in text
    assert reminder.total == Decimal("10691.68")


def test_pre_litigation_notice_repeats_the_amounts(company, admin, customer, two_invoices):
    reminder = send_up_to(company, customer, admin, 4)
    assert reminder.template == Template.PRE_LITIGATION
    text = stored_text(reminder, "4_pre_litigation")
    assert "DERNIER AVIS AVANT CONTENTIEUX" in text
    assert "Malgré nos relances des 10/06/2025, 30/06/2025 et 15/07/2025" in text
    assert "au plus tard le 07/08/2025" in text and "cabinet de recouvrement" in text
    # On 30 Jul: FA2025-00001 165.73 + 99.86 = 265.59; FA2025-00002 4.07 + 3.89 = 7.96;
    # 10 390.00 + 265.59 + 7.96 + 80.00 = 10 743.55
    assert (
        f"FA2025-00001 01/07/2025 30/07/2025 30 {eur('10 000,00 €')} 12,15{NBSP}% "
        f"{eur('99,86 €')}" in text
    )
    assert (
        f"FA2025-00002 01/07/2025 30/07/2025 30 {eur('390,00 €')} 12,15{NBSP}% "
        f"{eur('3,89 €')}" in text
    )
    assert (
        f"Total réclamé {eur('10 390,00 €')} {eur('273,55 €')} {eur('80,00 €')} "
        f"{eur('10 743,55 €')}" in text
    )
    assert reminder.total == Decimal("10743.55")


def test_held_items_are_not_printed(company, admin, customer, two_invoices):
    big, _small = two_invoices
    send_up_to(company, customer, admin, 2)
    open_dispute(
        company,
        {
            "invoice": big.pk,
            "category": "quality",
            "customer_words": "Le four chauffe mal.",
            "department": "sales",
            "owner": admin.pk,
            "opened_on": dt.date(2025, 7, 1),
            "target_date": dt.date(2025, 7, 31),
        },
        by=admin,
    )
    reminder = proposed(company, customer, SENDS[3])
    assert [item.held_amount for item in reminder.items.order_by("due_date")] == [
        Decimal("10000.00"),
        Decimal("0.00"),
    ]
    reminder = send_reminder(reminder, by=admin, on=SENDS[3], to=MAIL, **registered_ref(reminder))
    text = stored_text(reminder, "3_formal_notice_held")
    assert "FA2025-00001" not in text
    # Only FA2025-00002: 390.00 + 6.02 + 40.00 = 436.02
    assert (
        f"Total réclamé {eur('390,00 €')} {eur('6,02 €')} {eur('40,00 €')} {eur('436,02 €')}"
        in text
    )
    assert [row["number"] for row in reminder_context(reminder)["items"]] == ["FA2025-00002"]


def test_formal_notice_to_a_consumer_has_no_recovery_fee(company, admin, make_invoice, product):
    consumer = create_customer(
        company,
        {
            "legal_name": "Mme Claire Petit",
            "kind": "consumer",
            "billing_line1": "5 rue Haute",
            "billing_postal_code": "13001",
            "billing_city": "Marseille",
        },
        by=admin,
    )
    # 20 × 18.90 at 5.5 %: 378.00 + 20.79 = 398.79 TTC, due 15 May.
    invoice = make_invoice(
        lines=[{"product": product.pk, "quantity": "20"}], issue_on=ISSUED, cust=consumer
    )
    assert invoice.total_incl_vat == Decimal("398.79")
    reminder = send_up_to(company, consumer, admin, 3)
    text = stored_text(reminder, "3_formal_notice_consumer")
    assert "intérêts au taux légal" in text and "art. 1231-6 et 1344-1 du Code civil" in text
    assert "Indemnité" not in text and "40,00" not in text and "D.441-5" not in text
    # A consumer owes legal interest only from the formal notice on (C. civ. 1231-6,
    # 1344-1): none is claimed yet, no L.441-10 penalty table, the principal only.
    assert reminder.penalties == 0 and reminder.recovery_fees == 0
    assert "398,79" in text and "DÉTAIL DES" not in text and "L.441-10" not in text


def test_a_preview_computes_the_penalties_the_send_will_store(
    company, admin, customer, two_invoices
):
    send_up_to(company, customer, admin, 2)
    reminder = proposed(company, customer, SENDS[3])
    assert reminder.penalties == 0  # the send puts them on the items
    preview = reminder_context(reminder)
    sent = send_reminder(reminder, by=admin, on=SENDS[3], to=MAIL, **registered_ref(reminder))
    assert preview["claim"] == reminder_context(sent)["claim"]
    assert preview["claim"]["total"] == eur("10 691,68 €")


def test_the_letter_renders_the_same_bytes_twice(company, customer, two_invoices):
    reminder = proposed(company, customer, SENDS[1])
    assert reminder_pdf(reminder) == reminder_pdf(reminder)


def test_a_long_formal_notice_runs_onto_more_pages(company, admin, customer, invoice_of):
    for _ in range(25):
        invoice_of(1, dt.date(2025, 5, 2))  # 78,00 € each, due 1 Jun
    reminder = send_up_to(company, customer, admin, 3)
    pdf = bytes(reminder.letter_pdf)
    dump("reminder_3_formal_notice_long", pdf)
    pages = [flat(page) for page in pages_text(pdf)]
    assert len(pages) > 1
    assert "MISE EN DEMEURE DE PAYER n° " in pages[1] and "(suite)" in pages[1]
    text = " ".join(pages)
    # Each: 2–30 Jun, 29 d: 78 × 13.15 % × 29 / 365 = 0.814… → 0.81;
    #   1–15 Jul, 15 d: 78 × 12.15 % × 15 / 365 = 0.389… → 0.39; 1.20 + 40.00 fee.
    # 25 × 78.00 = 1 950.00; 25 × 1.20 = 30.00; 25 × 40.00 = 1 000.00; total 2 980.00
    assert (
        f"FA2025-00025 {eur('78,00 €')} {eur('1,20 €')} {eur('40,00 €')} {eur('119,20 €')}" in text
    )
    assert (
        f"Total réclamé {eur('1 950,00 €')} {eur('30,00 €')} {eur('1 000,00 €')} "
        f"{eur('2 980,00 €')}" in text
    )
    assert text.count(f"01/07/2025 15/07/2025 15 {eur('78,00 €')} 12,15{NBSP}% ") == 25
    assert "Service recouvrement" in pages[-1] or "Service recouvrement" in pages[-2]
    # Too many numbers to quote: the letter asks for them.
    assert "Merci de rappeler les numéros des factures réglées." in text


def test_a_payment_matched_late_is_counted_from_the_day_it_came_in(
    company, admin, customer, two_invoices, pay
):
    big, _small = two_invoices
    send_up_to(company, customer, admin, 2)
    # 4 000,00 received on 20 Jun, matched only on 14 Jul, the day before the notice.
    payment = pay("4000.00", dt.date(2025, 6, 20))
    allocate(payment, [(big.installments.get(), "4000.00")], by=admin, on=dt.date(2025, 7, 14))
    notice = proposed(company, customer, SENDS[3])
    reminder = send_reminder(notice, by=admin, on=SENDS[3], to=MAIL, **registered_ref(notice))
    text = stored_text(reminder, "3_formal_notice_matched_late")
    # FA2025-00001: 16 May–20 Jun, 36 d, 10 000 at 13.15 %: 1 315 × 36 / 365 = 129.698… → 129.70
    #   21–30 Jun, 10 d, 6 000 at 13.15 %: 789 × 10 / 365 = 21.616… → 21.62
    #   1–15 Jul, 15 d, 6 000 at 12.15 %: 729 × 15 / 365 = 29.958… → 29.96
    #   129.70 + 21.62 + 29.96 = 181.28; FA2025-00002: 6.02 (as above)
    for row in (
        f"FA2025-00001 16/05/2025 20/06/2025 36 {eur('10 000,00 €')} 13,15{NBSP}% "
        f"{eur('129,70 €')}",
        f"FA2025-00001 21/06/2025 30/06/2025 10 {eur('6 000,00 €')} 13,15{NBSP}% {eur('21,62 €')}",
        f"FA2025-00001 01/07/2025 15/07/2025 15 {eur('6 000,00 €')} 12,15{NBSP}% {eur('29,96 €')}",
    ):
        assert row in text, row
    # Principal 6 000 + 390 = 6 390.00; penalties 181.28 + 6.02 = 187.30; fees 80.00:
    # 6 390.00 + 187.30 + 80.00 = 6 657.30
    assert (
        f"Total réclamé {eur('6 390,00 €')} {eur('187,30 €')} {eur('80,00 €')} "
        f"{eur('6 657,30 €')}" in text
    )
    assert reminder.total == Decimal("6657.30")


def test_the_last_notice_to_a_consumer_claims_the_legal_interest_since_the_notice(
    company, admin, consumer, big_invoice
):
    big_invoice(cust=consumer)  # 10 000,00 € due 15 May
    reminder = send_up_to(company, consumer, admin, 4)  # notice 15 Jul, last notice 30 Jul
    text = stored_text(reminder, "4_pre_litigation_consumer")
    # 16–30 Jul, 15 days at 2.76 % (legal interest, H2 2025), 365 days:
    #   10 000 × 2.76 % × 15 / 365 = 4 140 / 365 = 11.342… → 11.34; no fee.
    assert (reminder.penalties, reminder.recovery_fees) == (Decimal("11.34"), 0)
    assert (
        f"FA2025-00001 16/07/2025 30/07/2025 15 {eur('10 000,00 €')} 2,76{NBSP}% "
        f"{eur('11,34 €')}" in text
    )
    assert (
        "intérêts au taux légal courus depuis notre mise en demeure, arrêtés au 30/07/2025 "
        f"({eur('11,34 €')})" in text
    )
    assert "Intérêts au taux légal calculés par période" in text and "/ 365" in text
    assert f"Total réclamé {eur('10 000,00 €')} {eur('11,34 €')} {eur('10 011,34 €')}" in text
    assert "40,00" not in text and "L.441-10" not in text and "Indemnité" not in text
