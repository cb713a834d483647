"""Whatever the books and the lines, the engine never over-allocates: what a line's
match settles adds up to the line's amount (plus the credit notes it uses; a write-off
only under the threshold), and no open amount goes below zero. On the pure engine
(many random books) and through the database (reconcile, then undo)."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from encaisse.banking.matching.engine import Book, Item, LineIn, NoteCredit
from encaisse.banking.models import BankLine, BankMatch, LineStatus
from encaisse.banking.services.matching import unmatch_line
from encaisse.banking.services.reconcile import reconcile
from encaisse.catalog.services import create_product
from encaisse.companies.services import create_company
from encaisse.customers.services import create_customer
from encaisse.receivables import stored
from encaisse.receivables.models import Allocation, Installment
from encaisse.sales.services import create_invoice
from tests.banking.factories import make_line
from tests.conftest import CUSTOMER, SELLER, issue_on_day

DAY = dt.date(2026, 3, 2)
cents = st.integers(min_value=1, max_value=50_000)


@st.composite
def books_and_lines(draw):
    n = draw(st.integers(1, 12))
    items = []
    for pk in range(1, n + 1):
        customer = draw(st.integers(1, 3))
        invoice = draw(st.integers(1, n))  # several installments may share an invoice
        items.append(Item(pk, customer, invoice, f"FA2026-{invoice:05d}", DAY, draw(cents), pk))
    # One invoice belongs to one customer.
    owner = {}
    for item in items:
        item.customer = owner.setdefault(item.invoice, item.customer)
    notes = [
        NoteCredit(100 + k, draw(st.integers(1, 3)), f"AV2026-{k:05d}", draw(cents))
        for k in range(draw(st.integers(0, 2)))
    ]
    opens = [i.open for i in items]
    lines = []
    for k in range(draw(st.integers(1, 10))):
        amount = draw(
            st.one_of(
                st.sampled_from(opens),
                st.builds(lambda a, b: a + b, st.sampled_from(opens), st.sampled_from(opens)),
                st.builds(lambda a, d: max(1, a - d), st.sampled_from(opens), st.integers(0, 600)),
                cents,
            )
        )
        words = draw(
            st.lists(
                st.one_of(
                    st.builds(lambda i: f"FA2026-{i:05d}", st.integers(1, n + 2)),
                    st.builds(lambda i: f"FA 2026 {i}", st.integers(1, n + 2)),
                    st.builds(lambda i: f"AV2026-{i:05d}", st.integers(0, 2)),
                    st.sampled_from(["ACOMPTE", "VIR", "CLIENT 1", "CLIENT 2", "REMISE"]),
                ),
                max_size=4,
            )
        )
        lines.append(LineIn(k + 1, amount, DAY, label=" ".join(words)))
    customers = {1: "Client Un SARL", 2: "Client Deux SAS", 3: "Client Un SA"}
    return items, notes, customers, lines


@settings(max_examples=300, deadline=None)
@given(books_and_lines())
def test_the_engine_never_over_allocates(data):
    items, notes, customers, lines = data
    book = Book(items=items, notes=notes, customers=customers, tolerance=500)
    for line in lines:
        decision = book.decide(line)
        auto = decision.auto
        if auto is None or auto.kind != "installments":
            continue
        before = {pk: book.items[pk].open for pk, _ in auto.items + auto.write_offs}
        settled = {}
        for pk, amount in auto.items + auto.write_offs:
            assert amount > 0
            settled[pk] = settled.get(pk, 0) + amount
        assert all(settled[pk] <= before[pk] for pk in settled)
        credit = sum(a for _, a in auto.notes)
        assert all(0 < a <= book.notes[pk].open for pk, a in auto.notes)
        assert sum(a for _, a in auto.items) == line.amount + credit
        assert 0 <= auto.write_off <= 500 and sum(a for _, a in auto.write_offs) == auto.write_off
        assert len({book.items[pk].customer for pk in settled}) == 1
        book.consume(auto)
        assert all(i.open >= 0 for i in book.items.values())
        assert all(n.open >= 0 for n in book.notes.values())


line_specs = st.lists(
    st.tuples(
        st.sampled_from(["one", "two", "partial", "fee", "random"]),
        st.integers(0, 5),
        st.integers(0, 5),
        st.booleans(),  # named in the label
    ),
    min_size=1,
    max_size=8,
)


class TestReconcileInvariants(TestCase):
    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.integers(1, 12), min_size=1, max_size=6), line_specs)
    def test_reconcile_then_undo_keeps_the_books_exact(self, hours, specs):
        user = get_user_model().objects.create_user("p")
        company = create_company(SELLER, owner=user)
        customer = create_customer(company, CUSTOMER, by=user)
        hour = create_product(
            company,
            {
                "reference": "H",
                "label": "Heure",
                "kind": "service",
                "unit": "HUR",
                "unit_price": "65.00",
                "vat_rate": "20",
            },
            by=user,
        )
        invoices = [
            issue_on_day(
                create_invoice(
                    company,
                    customer=customer,
                    lines=[{"product": hour.pk, "quantity": str(h)}],
                    by=user,
                ),
                by=user,
                on=DAY,
            )
            for h in hours
        ]
        for kind, a, b, named in specs:
            first, second = invoices[a % len(invoices)], invoices[b % len(invoices)]
            amount = {
                "one": first.total_incl_vat,
                "two": first.total_incl_vat + second.total_incl_vat,
                "partial": (first.total_incl_vat / 3).quantize(Decimal("0.01")),
                "fee": first.total_incl_vat - Decimal("1.50"),
                "random": Decimal(a * 101 + b * 7 + 1) / 4,
            }[kind]
            label = f"VIR {first.number} {second.number if kind == 'two' else ''}"
            make_line(
                company,
                amount,
                label if named else "VIR BOULANGERIE DUPONT",
                on=DAY + dt.timedelta(days=3),
            )
        reconcile(company, by=user)
        for line in BankLine.objects.filter(company=company):
            live = BankMatch.objects.filter(line=line, undone_on=None)
            if line.status == LineStatus.MATCHED:
                assert live.aggregate(s=Sum("amount"))["s"] == line.amount
                paid = Allocation.objects.filter(
                    payment__in=live.values("payment_id"), undone_on=None
                ).aggregate(s=Sum("amount"))["s"]
                assert paid == line.amount
        assert stored.differences(company.pk) == []
        assert not Installment.objects.filter(open_amount__lt=0).exists()
        before_undo = {i.pk: i.open_amount for i in Installment.objects.all()}
        matched = list(BankLine.objects.filter(company=company, status=LineStatus.MATCHED))
        for line in matched:
            unmatch_line(line, by=user, reason="Contrôle")
        assert stored.differences(company.pk) == []
        reopened = {i.pk: i.open_amount for i in Installment.objects.all()}
        assert reopened == {i.pk: i.amount for i in Installment.objects.all()}, (
            "every match undone: every installment open again, whole"
        )
        assert all(before_undo[pk] <= reopened[pk] for pk in reopened)
