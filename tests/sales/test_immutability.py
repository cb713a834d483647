"""An issued document refuses every change: through the ORM, the services and plain SQL."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from encaisse.sales.models import Invoice, InvoiceLine, IssuedDocumentError
from encaisse.sales.services import delete_draft, update_invoice


@pytest.fixture
def issued(make_invoice):
    return make_invoice(issue_on=dt.date(2026, 1, 5))


def test_orm_save_and_delete_are_refused(issued):
    issued.notes = "changed"
    with pytest.raises(IssuedDocumentError):
        issued.save()
    with pytest.raises(IssuedDocumentError):
        Invoice.objects.get(pk=issued.pk).delete()
    line = issued.lines.get()
    line.quantity = 5
    with pytest.raises(IssuedDocumentError):
        line.save()
    with pytest.raises(IssuedDocumentError):
        line.delete()


def test_services_refuse(issued, admin):
    with pytest.raises(IssuedDocumentError):
        update_invoice(issued, {"notes": "x"}, by=admin)
    with pytest.raises(IssuedDocumentError):
        delete_draft(issued, by=admin)


def _refused(sql, params):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_plain_sql_is_refused_by_the_database(issued):
    line = issued.lines.get()
    _refused("UPDATE sales_invoice SET total_incl_vat = 1 WHERE id = %s", [issued.pk])
    _refused("UPDATE sales_invoice SET status = 'draft' WHERE id = %s", [issued.pk])
    _refused("DELETE FROM sales_invoice WHERE id = %s", [issued.pk])
    _refused("UPDATE sales_invoiceline SET quantity = 9 WHERE id = %s", [line.pk])
    _refused("DELETE FROM sales_invoiceline WHERE id = %s", [line.pk])
    _refused(
        "INSERT INTO sales_invoiceline (invoice_id, position, description, item_kind, quantity,"
        " unit, unit_price, discount_percent, vat_rate, vat_exemption, vat_exemption_reason,"
        " gross_amount, discount_amount, net_amount) VALUES"
        " (%s, 9, 'x', 'goods', 1, 'C62', 1, 0, 20, '', '', 1, 0, 1)",
        [issued.pk],
    )
    stored = Invoice.objects.get(pk=issued.pk)
    assert (stored.status, stored.total_incl_vat, stored.lines.count()) == (
        "issued",
        issued.total_incl_vat,
        1,
    )


def test_queryset_update_is_refused(issued):
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=issued.pk).update(notes="bulk")
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.filter(invoice=issued).update(description="bulk")


def test_drafts_stay_free(make_invoice, admin):
    draft = make_invoice()
    Invoice.objects.filter(pk=draft.pk).update(notes="ok")
    delete_draft(draft, by=admin)
    assert not Invoice.objects.filter(pk=draft.pk).exists()
