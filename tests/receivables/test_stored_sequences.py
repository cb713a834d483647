"""Random sequences of what users do to receivables, over several days and two customers:
invoices issued, payments recorded, allocations (partial or full), undos, credit notes
(full or partial, which settle their invoice), write-offs, refunds. After every step the
stored amounts (Installment.open_amount, Payment.unallocated_amount,
CreditNoteCredit.unallocated_amount) equal their recomputation from the allocations and
the replay of the allocations dated up to that day, the aged balance read from them equals
the replayed one, and nothing is over-allocated."""

import contextlib
import datetime as dt
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from encaisse import clock
from encaisse.catalog.services import create_product
from encaisse.companies.services import create_company
from encaisse.customers.services import create_customer
from encaisse.errors import DomainError
from encaisse.receivables import selectors, stored
from encaisse.receivables.models import Allocation, CreditNoteCredit, Installment, Payment
from encaisse.receivables.services import allocation as lettrage
from encaisse.receivables.services.payments import record_payment
from encaisse.reporting import aged_balance as aging
from encaisse.sales.models import Invoice
from encaisse.sales.services import create_credit_note, create_invoice, issue_invoice
from tests.conftest import CUSTOMER, SELLER

# A second professional customer (SIREN and SIRET of a real company, checksums valid).
SECOND_CUSTOMER = {
    **CUSTOMER,
    "legal_name": "Épicerie Martin SAS",
    "siren": "443061841",
    "siret": "44306184100047",
}

START = dt.date(2026, 1, 5)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400"), places=2)
index = st.integers(0, 30)
step = st.one_of(
    st.tuples(st.just("invoice"), index, st.integers(1, 6)),
    st.tuples(st.just("payment"), index, amounts),
    st.tuples(st.just("allocate"), index, index, amounts),
    st.tuples(st.just("allocate_full"), index, index),
    st.tuples(st.just("undo"), index),
    st.tuples(st.just("credit_note"), index, amounts),
    st.tuples(st.just("credit_note_full"), index),
    st.tuples(st.just("write_off"), index, st.sampled_from(["0.50", "1.00", "5.00"])),
    st.tuples(st.just("refund"), index, amounts),
)
# Each step happens 0 to 3 days after the previous one.
sequences = st.lists(st.tuples(st.integers(0, 3), step), min_size=1, max_size=18)


def _pick(rows, i):
    return rows[i % len(rows)] if rows else None


def _replayed():
    """The selectors and the aged balance forced to replay the dated allocations."""
    stack = contextlib.ExitStack()
    for module in (selectors, aging):
        stack.enter_context(mock.patch.object(module, "stored_is_current", return_value=False))
    return stack


class TestStoredAmountsEqualTheReplay(TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(sequences)
    def test_after_every_step(self, sequence):
        user = get_user_model().objects.create_user("s")
        company = create_company(SELLER, owner=user)
        company.write_off_threshold = Decimal("5.00")
        company.save()
        customers = [
            create_customer(company, CUSTOMER, by=user),
            create_customer(company, SECOND_CUSTOMER, by=user),
        ]
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
        day = START
        for gap, op in sequence:
            day += dt.timedelta(days=gap)
            with clock.at(day):
                # A refusal (over-allocation, nothing to credit...) changes nothing: the
                # checks below run after it too.
                with contextlib.suppress(DomainError):
                    self._apply(op, company, customers, hour, user, day)
                self._check(company, day)

    def _apply(self, op, company, customers, hour, user, day):
        kind = op[0]
        invoices = list(
            Invoice.objects.filter(company=company, kind="invoice", status="issued").order_by("pk")
        )
        notes = list(
            Invoice.objects.filter(company=company, kind="credit_note", status="issued").order_by(
                "pk"
            )
        )
        payments = list(Payment.objects.filter(company=company).order_by("pk"))
        credits = payments + notes
        installments = list(Installment.objects.filter(company=company).order_by("pk"))
        if kind == "invoice":
            draft = create_invoice(
                company,
                customer=_pick(customers, op[1]),
                by=user,
                lines=[{"product": hour.pk, "quantity": str(op[2])}],
            )
            issue_invoice(draft, by=user)
        elif kind == "payment":
            record_payment(
                company,
                {
                    "customer": _pick(customers, op[1]).pk,
                    "amount": op[2],
                    "date": day,
                    "method": "transfer",
                },
                by=user,
            )
        elif kind in ("allocate", "allocate_full") and credits and installments:
            credit = _pick(credits, op[1])
            mine = [i for i in installments if i.customer_id == credit.customer_id] or installments
            installment = _pick(mine, op[2])
            if kind == "allocate_full":
                amount = min(installment.open_amount, lettrage.available_credit(credit))
            else:
                amount = op[3]
            lettrage.allocate(credit, [(installment, amount)], by=user)
        elif kind == "undo":
            active = list(
                Allocation.objects.filter(
                    company=company,
                    undone_on__isnull=True,
                    refund__isnull=True,
                    write_off__isnull=True,
                ).order_by("pk")
            )
            if active:
                lettrage.undo_allocation(_pick(active, op[1]), by=user, reason="erreur")
        elif kind == "credit_note" and invoices:
            note = create_credit_note(
                _pick(invoices, op[1]),
                by=user,
                mode="amount",
                amount=(op[2] / Decimal("1.2")).quantize(Decimal("0.01")),
                vat_rate="20",
            )
            issue_invoice(note, by=user)
        elif kind == "credit_note_full" and invoices:
            issue_invoice(create_credit_note(_pick(invoices, op[1]), by=user), by=user)
        elif kind == "write_off" and installments:
            lettrage.write_off(_pick(installments, op[1]), op[2], by=user, reason="Frais")
        elif kind == "refund" and credits:
            lettrage.refund(_pick(credits, op[1]), op[2], by=user)

    def _check(self, company, day):
        # Stored == amount − Σ allocations not undone (the check command's recomputation).
        assert stored.differences(company.pk) == []
        assert selectors.stored_is_current(company, day)
        # Stored == the replay of the allocations dated up to today, row by row.
        now = {
            "installments": dict(
                selectors.installments_as_of(company, day).values_list("pk", "open_amount")
            ),
            "payments": dict(
                selectors.payments_as_of(company, day).values_list("pk", "unallocated")
            ),
            "notes": dict(
                selectors.credit_notes_as_of(company, day).values_list("pk", "unallocated")
            ),
        }
        today = aging.aged_balance(company, day)
        with _replayed():
            replay = {
                "installments": dict(
                    selectors.installments_as_of(company, day).values_list("pk", "open_amount")
                ),
                "payments": dict(
                    selectors.payments_as_of(company, day).values_list("pk", "unallocated")
                ),
                "notes": dict(
                    selectors.credit_notes_as_of(company, day).values_list("pk", "unallocated")
                ),
            }
            replayed = aging.aged_balance(company, day)
        assert now == replay
        assert now["installments"] == dict(
            Installment.objects.filter(company=company).values_list("pk", "open_amount")
        )
        assert now["notes"] == dict(
            CreditNoteCredit.objects.filter(company=company).values_list("pk", "unallocated_amount")
        )
        assert [(r.customer_id, r.amounts, r.unapplied) for r in today.rows] == [
            (r.customer_id, r.amounts, r.unapplied) for r in replayed.rows
        ]
        # Nothing over-allocated: every row's allocations in force fit its amount.
        active = Allocation.objects.filter(company=company, undone_on__isnull=True)
        for link, rows, amount in (
            ("installment", Installment.objects.filter(company=company), "amount"),
            ("payment", Payment.objects.filter(company=company), "amount"),
            (
                "credit_note",
                Invoice.objects.filter(company=company, kind="credit_note"),
                "total_incl_vat",
            ),
        ):
            used = dict(active.values(link).annotate(s=Sum("amount")).values_list(link, "s"))
            for pk, total in rows.values_list("pk", amount):
                assert used.get(pk, 0) <= total, (link, pk)
