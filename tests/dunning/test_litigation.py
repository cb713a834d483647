"""Pre-litigation cases: the file opened after a formal notice (claim frozen, PDF and zip
of the exhibits), one open case per customer, the status changes and their refusals.

Data: tests/dunning/litigation_data.py (two invoices due 1 Feb 2025, formal notice sent
on 3 Mar 2025, file made on 15 Mar 2025). Penalties at the legal default rate for
Jan–Jun 2025: ECB 3.15 % + 10 = 13.15 %, 365-day year:
- A (780.00 from 2 Feb to 15 Mar, 42 days): 780 × 13.15 % × 42 / 365 = 11.8026 -> 11.80
- B (859.76 from 2 to 10 Feb, 9 days): 859.76 × 13.15 % × 9 / 365 = 2.7877 -> 2.79
  (500.00 from 11 Feb to 15 Mar, 33 days): 500 × 13.15 % × 33 / 365 = 5.9445 -> 5.94
  B: 2.79 + 5.94 = 8.73
Principal 780.00 + 500.00 = 1 280.00; penalties 11.80 + 8.73 = 20.53; recovery fees
2 × 40.00 = 80.00 (professional customer); total 1 380.53.
"""

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from encaisse.audit.models import AuditEntry
from encaisse.companies.models import Role
from encaisse.documents import archive
from encaisse.documents.models import ArchiveFormat
from encaisse.dunning import litigation
from encaisse.dunning.models import CaseStatus, LitigationCase, Reminder, Template
from encaisse.errors import Conflict, Forbidden, ValidationFailed
from encaisse.receivables.models import WriteOff
from encaisse.receivables.selectors import customer_balance
from encaisse.receivables.services.allocation import allocate
from tests.conftest import issue_on_day

from .litigation_data import L1, L2, L3, OPENED, REGISTERED, make_debtor, make_invoices, remind

pytestmark = pytest.mark.django_db


def plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


@pytest.fixture
def debtor(company, admin):
    return make_debtor(company, admin)


@pytest.fixture
def invoices(debtor, make_invoice, product, service_product, pay, admin):
    return make_invoices(debtor, make_invoice, product, service_product, pay, admin)


@pytest.fixture
def noticed(company, admin, invoices):
    """The three levels sent; returns the invoices."""
    remind(company, admin)
    return invoices


@pytest.fixture
def case(debtor, admin, noticed):
    return litigation.open_case(debtor, OPENED, by=admin)


def settle_all(case, pay, admin, debtor, on):
    """Pay what is left: 780.00 on A and 500.00 on B."""
    a, b = sorted(case.invoices.all(), key=lambda i: i.number)
    payment = pay("1280.00", on, cust=debtor)
    allocate(
        payment,
        [(a.installments.get(), "780.00"), (b.installments.get(), "500.00")],
        by=admin,
        on=on,
    )


# ---------------------------------------------------------------- opening


def test_open_case_freezes_the_claim(case, noticed, debtor, admin):
    a, b = noticed
    assert (case.principal, case.penalties, case.recovery_fees) == (
        D("1280.00"),
        D("20.53"),
        D("80.00"),
    )
    assert case.total_claimed == D("1380.53")
    assert case.status == CaseStatus.PREPARED
    assert case.opened_on == OPENED
    assert set(case.invoices.all()) == {a, b}
    assert case.formal_notice.template == Template.FORMAL_NOTICE
    assert case.formal_notice.sent_on == L3
    assert case.formal_notice.registered_mail_ref == REGISTERED
    assert [(e.status, e.date) for e in case.events.all()] == [(CaseStatus.PREPARED, OPENED)]
    audit = AuditEntry.objects.get(action="litigation.opened")
    assert audit.changes["claimed_invoices"] == f"{a.number}, {b.number}"


def test_claim_lines_add_up_to_the_case(case, noticed):
    a, b = noticed
    lines = litigation.claim_lines(case.customer, [b, a], OPENED)
    assert [line.invoice for line in lines] == [a, b]
    assert [(line.principal, line.penalties, line.recovery_fee) for line in lines] == [
        (D("780.00"), D("11.80"), D("40.00")),
        (D("500.00"), D("8.73"), D("40.00")),
    ]
    periods = [(p.start, p.end, p.days, p.base, p.amount) for p in lines[1].table.periods]
    assert periods == [
        (dt.date(2025, 2, 2), dt.date(2025, 2, 10), 9, D("859.76"), D("2.79")),
        (dt.date(2025, 2, 11), dt.date(2025, 3, 15), 33, D("500.00"), D("5.94")),
    ]


def test_the_pdf_states_the_claim(case, noticed):
    reader = PdfReader(io.BytesIO(bytes(case.file_pdf)))
    text = plain("\n".join(page.extract_text() for page in reader.pages))
    a, b = noticed
    for expected in (
        "DOSSIER PRÉCONTENTIEUX",
        "Brasserie Lemaire SAS",
        "SIREN 542065479",  # debtor
        "SIREN 732829320",  # creditor
        "1 280,00 €",
        "20,53 €",
        "80,00 €",
        "1 380,53 €",
        a.number,
        b.number,
        REGISTERED,
        "03/03/2025",
        "Mise en demeure",
        "859,76 €",  # B's first penalty period base
        "5,94 €",
        "13,15 %",
        "L.441-10",
        "D.441-5",
        "1344",
        "1405",
        "Médiation des entreprises",
        "L.110-4",
        "01/02/2030",  # 5 years after the oldest due date
    ):
        assert expected in text, expected


def test_the_zip_holds_the_exhibits(case, noticed):
    a, b = noticed
    level2, level3 = (Reminder.objects.get(customer=case.customer, level=level) for level in (2, 3))
    zf = zipfile.ZipFile(io.BytesIO(bytes(case.file_zip)))
    # Levels 2 and 3 went by letter (their PDF kept), level 1 by e-mail only.
    assert zf.namelist() == [
        f"dossier-precontentieux-{case.pk}.pdf",
        f"factures/{a.number}.pdf",
        f"factures/{b.number}.pdf",
        f"relances/2025-02-16-niveau-2-relance-{level2.pk}.pdf",
        f"relances/2025-03-03-niveau-3-relance-{level3.pk}.pdf",
        "recapitulatif.csv",
    ]
    assert zf.read(f"dossier-precontentieux-{case.pk}.pdf") == bytes(case.file_pdf)
    assert zf.read(f"factures/{a.number}.pdf") == archive.read(a, ArchiveFormat.PDF)
    assert zf.read(f"relances/2025-03-03-niveau-3-relance-{level3.pk}.pdf") == bytes(
        level3.letter_pdf
    )
    summary = zf.read("recapitulatif.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(summary), delimiter=";"))
    # Totals per invoice: 780.00 + 11.80 + 40.00 = 831.80; 500.00 + 8.73 + 40.00 = 548.73.
    assert rows[1:] == [
        [
            a.number,
            "2025-01-02",
            "2025-02-01",
            "780,00",
            "780,00",
            "42",
            "11,80",
            "40,00",
            "831,80",
        ],
        [b.number, "2025-01-02", "2025-02-01", "859,76", "500,00", "42", "8,73", "40,00", "548,73"],
        ["TOTAL", "", "", "", "1280,00", "", "20,53", "80,00", "1380,53"],
    ]


def test_refused_without_a_formal_notice(company, admin, debtor, invoices):
    remind(company, admin, days=(L1, L2))  # amicable and formal reminders only
    with pytest.raises(ValidationFailed) as error:
        litigation.open_case(debtor, OPENED, by=admin)
    assert error.value.code == "no_formal_notice"
    assert "mise en demeure" in error.value.message
    assert not LitigationCase.objects.exists()


def test_a_notice_sent_after_the_date_does_not_count(debtor, admin, noticed):
    with pytest.raises(ValidationFailed) as error:
        litigation.open_case(debtor, dt.date(2025, 3, 2), by=admin)  # notice on 3 March
    assert error.value.code == "no_formal_notice"


def test_one_open_case_per_customer(case, debtor, admin, pay):
    with pytest.raises(Conflict) as error:
        litigation.open_case(debtor, OPENED, by=admin)
    assert error.value.code == "case_already_open"
    assert f"{case}" in error.value.message
    settle_all(case, pay, admin, debtor, dt.date(2025, 4, 1))
    litigation.mark_recovered(case, dt.date(2025, 4, 2), by=admin)
    # Closed: a new file may be made (nothing is owed any more, so it is refused for that).
    with pytest.raises(ValidationFailed) as error:
        litigation.open_case(debtor, dt.date(2025, 4, 2), by=admin)
    assert error.value.code == "nothing_to_claim"


def test_chosen_invoices_must_have_had_the_notice(
    debtor, admin, noticed, make_invoice, service_product
):
    a, _ = noticed
    # Invoicing a customer under formal notice needs an override (dunning block level).
    later = issue_on_day(
        make_invoice(lines=[{"product": service_product.pk, "quantity": "1"}], cust=debtor),
        by=admin,
        on=dt.date(2025, 3, 1),
        override_reason="Commande ferme acceptée par la direction",
    )
    with pytest.raises(ValidationFailed) as error:
        litigation.open_case(debtor, OPENED, by=admin, invoices=[a, later])
    assert error.value.field == "invoices"
    assert later.number in error.value.message
    case = litigation.open_case(debtor, OPENED, by=admin, invoices=[a])
    # A alone: 780.00 + 11.80 + 40.00.
    assert (case.principal, case.penalties, case.recovery_fees) == (
        D("780.00"),
        D("11.80"),
        D("40.00"),
    )


def test_collectors_make_files_but_do_not_write_off(company, debtor, noticed, make_user):
    collector = make_user("recouvreur", company, Role.COLLECTION)
    case = litigation.open_case(debtor, OPENED, by=collector)
    litigation.transfer_to_agency(case, "Cabinet Recouvra", dt.date(2025, 3, 20), by=collector)
    with pytest.raises(Forbidden):
        litigation.mark_doubtful(case, dt.date(2025, 3, 31), "100", by=collector)
    with pytest.raises(Forbidden):
        litigation.write_off_irrecoverable(case, dt.date(2025, 3, 31), by=collector)
    reader = make_user("lecteur", company, Role.READ_ONLY)
    with pytest.raises(Forbidden):
        litigation.go_to_court(case, "RG 25/00012", dt.date(2025, 3, 31), by=reader)


# ---------------------------------------------------------------- status changes


def test_agency_then_court_then_refusals(case, admin):
    case = litigation.transfer_to_agency(case, " Cabinet Recouvra ", dt.date(2025, 3, 20), by=admin)
    assert (case.status, case.agency) == (CaseStatus.AGENCY, "Cabinet Recouvra")
    case = litigation.go_to_court(case, "IP 2025/118", dt.date(2025, 4, 10), by=admin)
    assert (case.status, case.court_reference) == (CaseStatus.COURT, "IP 2025/118")
    with pytest.raises(Conflict) as error:
        litigation.transfer_to_agency(case, "Autre cabinet", dt.date(2025, 4, 11), by=admin)
    assert error.value.message == (
        "Un dossier au statut « Procédure judiciaire » ne peut pas passer au statut "
        "« Transmis à un cabinet de recouvrement »."
    )
    assert [(e.status, e.date, e.note) for e in case.events.all()] == [
        (CaseStatus.PREPARED, OPENED, "2 facture(s)"),
        (CaseStatus.AGENCY, dt.date(2025, 3, 20), "Cabinet : Cabinet Recouvra"),
        (CaseStatus.COURT, dt.date(2025, 4, 10), "Procédure : IP 2025/118"),
    ]


def test_bad_inputs_change_nothing(case, admin):
    with pytest.raises(ValidationFailed) as error:
        litigation.transfer_to_agency(case, "  ", dt.date(2025, 3, 20), by=admin)
    assert error.value.field == "agency"
    with pytest.raises(ValidationFailed) as error:
        litigation.go_to_court(case, "", dt.date(2025, 3, 20), by=admin)
    assert error.value.field == "reference"
    with pytest.raises(ValidationFailed) as error:  # before the file was made
        litigation.transfer_to_agency(case, "Cabinet", dt.date(2025, 3, 14), by=admin)
    assert error.value.code == "date_before_last_event"
    with pytest.raises(ValidationFailed) as error:
        litigation.transfer_to_agency(case, "Cabinet", dt.date(2099, 1, 1), by=admin)
    assert error.value.code == "future_date"
    with pytest.raises(ValidationFailed) as error:
        litigation.mark_doubtful(case, dt.date(2025, 3, 31), "abc", by=admin)
    assert error.value.field == "provision_amount"
    case.refresh_from_db()
    assert case.status == CaseStatus.PREPARED
    assert case.events.count() == 1


def test_recovered_only_once_paid(case, debtor, admin, pay):
    with pytest.raises(Conflict) as error:
        litigation.mark_recovered(case, dt.date(2025, 3, 31), by=admin)
    assert error.value.code == "still_unpaid"
    assert "1 280,00" in plain(error.value.message)
    settle_all(case, pay, admin, debtor, dt.date(2025, 4, 1))
    case = litigation.mark_recovered(case, dt.date(2025, 4, 2), by=admin)
    assert (case.status, case.closed_on) == (CaseStatus.RECOVERED, dt.date(2025, 4, 2))
    with pytest.raises(Conflict) as error:
        litigation.write_off_irrecoverable(case, dt.date(2025, 4, 3), by=admin)
    assert "clos" in error.value.message


def test_write_off_drops_the_balance(case, debtor, admin):
    # Owed before: 780.00 + 859.76 − 359.76 = 1 280.00.
    assert customer_balance(debtor, dt.date(2025, 6, 30)) == D("1280.00")
    case = litigation.write_off_irrecoverable(case, dt.date(2025, 6, 30), by=admin)
    assert (case.status, case.closed_on) == (CaseStatus.IRRECOVERABLE, dt.date(2025, 6, 30))
    losses = WriteOff.objects.filter(customer=debtor).order_by("amount")
    assert [w.amount for w in losses] == [D("500.00"), D("780.00")]
    assert all(w.allocations.get().installment.settled_on == dt.date(2025, 6, 30) for w in losses)
    assert customer_balance(debtor, dt.date(2025, 6, 30)) == D("0.00")
    assert plain(case.events.last().note) == "Passé en perte : 1 280,00 €"
    with pytest.raises(Conflict) as error:  # recovered after written off
        litigation.mark_recovered(case, dt.date(2025, 7, 1), by=admin)
    assert error.value.message.startswith("Le dossier est clos")


def test_doubtful_twice_is_refused(case, admin):
    case = litigation.mark_doubtful(case, dt.date(2025, 3, 31), "100.00", by=admin)
    case = litigation.transfer_to_agency(case, "Cabinet", dt.date(2025, 4, 1), by=admin)
    with pytest.raises(Conflict) as error:
        litigation.mark_doubtful(case, dt.date(2025, 4, 2), "100.00", by=admin)
    assert error.value.code == "already_doubtful"


def test_transition_map():
    closed = {CaseStatus.RECOVERED, CaseStatus.IRRECOVERABLE}
    for status in CaseStatus.values:
        allowed = litigation.TRANSITIONS[status]
        assert status not in allowed
        if status in closed:
            assert not allowed
        else:
            assert closed <= allowed


def test_a_consumers_file_claims_legal_interest_from_the_notice(
    company, admin, make_invoice, product, service_product, pay
):
    debtor = make_debtor(company, admin, kind="consumer", siren="", legal_name="M. Paul Lemaire")
    make_invoices(debtor, make_invoice, product, service_product, pay, admin)
    remind(company, admin)  # the formal notice goes on 3 Mar
    case = litigation.open_case(debtor, OPENED, by=admin)
    # Interest at the legal rate of H1 2025 (3.71 %) from 4 to 15 Mar, 12 days, no fee:
    #   A: 780 × 3.71 % × 12 / 365 = 347.256 / 365 = 0.951… → 0.95
    #   B: 500 × 3.71 % × 12 / 365 = 222.6 / 365 = 0.609… → 0.61
    assert (case.principal, case.penalties, case.recovery_fees) == (
        D("1280.00"),
        D("1.56"),
        D("0.00"),
    )
    text = plain("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(case.file_pdf)).pages))
    for expected in (
        "Intérêts au taux légal (C. civ. 1231-6)",
        "DÉCOMPTE DES INTÉRÊTS AU TAUX LÉGAL",  # a section title, in capitals
        "04/03/2025",
        "3,71 %",
        "1 281,56 €",  # 1 280.00 + 1.56
        "L.218-2",
        "01/02/2027",  # 2 years after the oldest due date
    ):
        assert expected in text, expected
    assert "Indemnités forfaitaires" not in text and "13,15 %" not in text
    assert "Pénalités de retard (L.441-10)" not in text


def test_agency_and_court_reference_texts_are_checked_by_the_service(case, admin):
    """The service refuses what the column cannot hold or a letter cannot print, naming
    the field, and the file does not move."""
    with pytest.raises(ValidationFailed) as error:
        litigation.transfer_to_agency(case, "x" * 201, dt.date(2025, 3, 20), by=admin)
    assert (error.value.field, error.value.code) == ("agency", "too_long")
    with pytest.raises(ValidationFailed) as error:
        litigation.go_to_court(case, "RG 25/001\x1b", dt.date(2025, 3, 20), by=admin)
    assert (error.value.field, error.value.code) == ("reference", "invisible_character")
    case.refresh_from_db()
    assert case.agency == "" and case.court_reference == ""
