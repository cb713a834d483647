"""The table of document kinds (sales/kinds.py): one row per kind, every column usable,
and the behaviour that reads it."""

import datetime as dt
from decimal import Decimal

import pytest

from encaisse.audit.models import AuditEntry
from encaisse.companies.models import Company
from encaisse.companies.permissions import ROLE_PERMISSIONS
from encaisse.ledger.models import JournalEntry
from encaisse.sales.kinds import KINDS, DocumentKind, codes, kind_of, prefix
from encaisse.sales.services import create_credit_note
from tests.conftest import issue_on_day

# BR-FR-04: the document type codes the French CTC accept (BT-3).
BR_FR_04 = {"380", "389", "393", "501", "386", "500", "384", "471", "472", "473", "261",
            "262", "381", "396", "502", "503"}  # fmt: skip
DAY = dt.date(2026, 3, 2)


def test_every_kind_has_one_complete_row():
    assert set(KINDS) == set(DocumentKind.values)
    every_right = set().union(*ROLE_PERMISSIONS.values())
    company_fields = {f.name for f in Company._meta.get_fields()}
    for code, kind in KINDS.items():
        assert kind.code == code and kind.label == DocumentKind(code).label
        assert kind.type_code in BR_FR_04
        assert kind.prefix_field in company_fields
        assert kind.issue_right in every_right
        assert kind.sign in (1, -1)
        assert kind.title == kind.label.upper()
    assert len({kind.prefix_field for kind in KINDS.values()}) == len(KINDS)


def test_queries_select_kinds_by_their_columns():
    assert codes(creates_receivable=True) == ["invoice"]
    assert codes(creates_receivable=False) == ["credit_note"]
    assert codes(corrects_invoice=True, sign=-1) == ["credit_note"]
    assert codes() == list(KINDS)
    assert kind_of("credit_note") is KINDS["credit_note"]


def test_issuing_reads_the_table(make_invoice, admin, company):
    invoice = make_invoice(issue_on=DAY)
    note = issue_on_day(create_credit_note(invoice, by=admin), by=admin, on=DAY)
    for document, number in ((invoice, "FA2026-00001"), (note, "AV2026-00001")):
        kind = document.kind_spec
        assert kind is kind_of(document)
        assert document.number == number and number.startswith(prefix(company, kind))
        assert AuditEntry.objects.filter(
            action=kind.action_issued, object_id=str(document.pk)
        ).exists()
    # The credit note's entry mirrors the invoice's: 411 credited by the same amount.
    # 2 × 18.90 = 37.80 at 5.5 % -> VAT 2.08, TTC 39.88.
    customer_side = {
        entry.piece_ref: [(line.debit, line.credit) for line in entry.lines.all()]
        for entry in JournalEntry.objects.prefetch_related("lines")
    }
    assert (Decimal("39.88"), Decimal("0.00")) in customer_side["FA2026-00001"]
    assert (Decimal("0.00"), Decimal("39.88")) in customer_side["AV2026-00001"]
    assert invoice.installments.count() == 1 and not note.installments.exists()


@pytest.mark.parametrize("code", list(KINDS))
def test_every_kind_is_labelled_on_its_journal_entry(code, make_invoice, admin):
    invoice = make_invoice(issue_on=DAY)
    document = (
        invoice
        if code == "invoice"
        else issue_on_day(create_credit_note(invoice, by=admin), by=admin, on=DAY)
    )
    entry = JournalEntry.objects.get(piece_ref=document.number)
    assert entry.label.startswith(f"{KINDS[code].label} {document.number}")
