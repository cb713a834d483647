"""Whatever invoices, credit notes, payments, allocations and undos happen, no allocation
exceeds its credit or its installment, and the balance adds up."""

import contextlib
import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from encaisse.catalog.services import create_product
from encaisse.companies.services import create_company
from encaisse.customers.services import create_customer
from encaisse.errors import DomainError
from encaisse.ledger.models import JournalEntry, JournalLine
from encaisse.receivables.models import Allocation, Installment, Payment, Refund, WriteOff
from encaisse.receivables.selectors import customer_balance, installments_as_of
from encaisse.receivables.services import allocation as lettrage
from encaisse.receivables.services.payments import record_payment
from encaisse.reporting.aged_balance import aged_balance
from encaisse.sales.models import Invoice
from encaisse.sales.services import create_credit_note, create_invoice
from tests.conftest import CUSTOMER, SELLER, issue_on_day

DAY = dt.date(2026, 1, 5)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), st.integers(1, 9)),
        st.tuples(st.just("payment"), amounts),
        st.tuples(st.just("credit_note"), amounts),
        st.tuples(st.just("allocate"), st.integers(0, 20), st.integers(0, 20), amounts),
        st.tuples(st.just("undo"), st.integers(0, 20)),
        st.tuples(st.just("refund"), st.integers(0, 20), amounts),
        st.tuples(st.just("write_off"), st.integers(0, 20), amounts),
    ),
    min_size=1,
    max_size=25,
)


def _pick(rows, index):
    return rows[index % len(rows)] if rows else None


class TestReceivablesInvariants(TestCase):
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(operations)
    def test_invariants(self, ops):
        user = get_user_model().objects.create_user("p")
        company = create_company(SELLER, owner=user)
        customer = create_customer(company, CUSTOMER, by=user)
        hour = create_product(
            company,
            {
                "reference": "H",
                "label": "Heure",
                "kind": "service",
                "unit_price": "65",
                "vat_rate": "20",
            },
            by=user,
        )
        for op in ops:
            # A refusal must leave everything consistent: checked below.
            with contextlib.suppress(DomainError):
                self._apply(op, company, customer, hour, user)
        self._check(company, customer)

    def _apply(self, op, company, customer, hour, user):
        kind = op[0]
        invoices = list(Invoice.objects.filter(kind="invoice", status="issued").order_by("pk"))
        credits = list(Payment.objects.order_by("pk")) + list(
            Invoice.objects.filter(kind="credit_note", status="issued").order_by("pk")
        )
        installments = list(Installment.objects.order_by("pk"))
        if kind == "invoice":
            draft = create_invoice(
                company,
                customer=customer,
                by=user,
                lines=[{"product": hour.pk, "quantity": str(op[1])}],
            )
            issue_on_day(draft, by=user, on=DAY)
        elif kind == "payment":
            record_payment(
                company,
                {"customer": customer.pk, "amount": op[1], "date": DAY, "method": "transfer"},
                by=user,
            )
        elif kind == "credit_note" and invoices:
            note = create_credit_note(
                invoices[-1],
                by=user,
                mode="amount",
                amount=(op[1] / Decimal("1.2")).quantize(Decimal("0.01")),
            )
            issue_on_day(note, by=user, on=DAY)
        elif kind == "allocate" and credits and installments:
            lettrage.allocate(
                _pick(credits, op[1]), [(_pick(installments, op[2]), op[3])], by=user, on=DAY
            )
        elif kind == "undo":
            active = list(Allocation.objects.filter(undone_on__isnull=True).order_by("pk"))
            if active:
                lettrage.undo_allocation(_pick(active, op[1]), by=user, reason="test", on=DAY)
        elif kind == "refund" and credits:
            lettrage.refund(_pick(credits, op[1]), op[2], by=user, on=DAY)
        elif kind == "write_off" and installments:
            lettrage.write_off(_pick(installments, op[1]), op[2], by=user, reason="x", on=DAY)

    def _check(self, company, customer):
        active = Allocation.objects.filter(undone_on__isnull=True)
        for installment in Installment.objects.all():
            used = active.filter(installment=installment).aggregate(s=Sum("amount"))["s"] or 0
            assert used <= installment.amount
        for payment in Payment.objects.all():
            used = active.filter(payment=payment).aggregate(s=Sum("amount"))["s"] or 0
            assert used <= payment.amount
        for note in Invoice.objects.filter(kind="credit_note", status="issued"):
            used = active.filter(credit_note=note).aggregate(s=Sum("amount"))["s"] or 0
            assert used <= note.total_incl_vat
        for refund in Refund.objects.all():
            assert active.filter(refund=refund).aggregate(s=Sum("amount"))["s"] == refund.amount

        def total(qs, field="amount"):
            return qs.aggregate(s=Sum(field))["s"] or Decimal("0")

        expected = (
            total(Invoice.objects.filter(kind="invoice", status="issued"), "total_incl_vat")
            - total(Invoice.objects.filter(kind="credit_note", status="issued"), "total_incl_vat")
            - total(Payment.objects.all())
            + total(Refund.objects.all())
            - total(WriteOff.objects.all())
        )
        assert customer_balance(customer, DAY) == expected
        # The ledger balances, entry by entry, and the customer's 411 account says the same.
        for entry in JournalEntry.objects.all():
            lines = entry.lines.aggregate(d=Sum("debit"), c=Sum("credit"))
            assert lines["d"] == lines["c"]
        account = JournalLine.objects.filter(account__number="411", customer=customer)
        assert total(account, "debit") - total(account, "credit") == expected
        # The aged balance (with its settled_on shortcut) agrees, and so does settled_on.
        assert aged_balance(company, DAY).balance == expected
        for row in installments_as_of(company, DAY):
            if not row.reopened:
                assert (row.open_amount > 0) == (row.settled_on is None), row
        # The open amounts of installments never go negative.
        assert not installments_as_of(company, DAY).filter(open_amount__lt=0).exists()
