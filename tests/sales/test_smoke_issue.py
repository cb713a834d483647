import datetime as dt
from decimal import Decimal


def test_issue_assigns_first_number_and_freezes_totals(make_invoice):
    # 2 × 18.90 = 37.80 HT at 5.5 %: VAT 37.80 × 0.055 = 2.079 -> 2.08; TTC 39.88
    invoice = make_invoice(issue_on=dt.date(2026, 3, 2))
    assert invoice.number == "FA2026-00001"
    assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
        Decimal("37.80"),
        Decimal("2.08"),
        Decimal("39.88"),
    )
    assert invoice.due_date == dt.date(2026, 4, 1)  # 30 days net
