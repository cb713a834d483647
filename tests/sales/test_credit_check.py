"""The credit check at issue: under the limit passes, over is refused changing nothing,
an override needs the right and a reason and is audited; credit notes pass."""

import datetime as dt
from decimal import Decimal as D

import pytest

from encaisse.audit.models import AuditEntry
from encaisse.audit.services import trail
from encaisse.companies.models import NumberSequence, Role
from encaisse.customers.credit import set_credit_limit
from encaisse.errors import Conflict, Forbidden
from encaisse.receivables.models import Installment
from encaisse.sales.models import DocumentStatus, Invoice
from encaisse.sales.services import create_credit_note
from tests.conftest import issue_on_day

DAY = dt.date(2026, 11, 2)


@pytest.fixture
def limited(customer, admin, invoice_of):
    """10 h issued on 2 Nov = 780.00 open; limit 1,000.00: 220.00 of room."""
    invoice_of(10, DAY)
    set_credit_limit(customer, limit="1000", origin="manual", by=admin)
    return customer


def _draft(make_invoice, service_product, hours):
    return make_invoice(lines=[{"product": service_product.pk, "quantity": str(hours)}])


def _last_number():
    return NumberSequence.objects.get(document_type="invoice", year=2026).last_number


def test_under_or_at_the_limit_passes(limited, admin, make_invoice, service_product):
    # 780 + 2 h × 78 = 936.00 <= 1000.
    issue_on_day(_draft(make_invoice, service_product, 2), by=admin, on=DAY)
    assert _last_number() == 2
    assert not AuditEntry.objects.filter(action="invoice.credit_override").exists()


def test_at_exactly_the_limit_passes(limited, admin, make_invoice, service_product, customer):
    # Limit 936.00 = 780.00 + 156.00: "over" means strictly above.
    set_credit_limit(customer, limit="936", origin="manual", by=admin)
    invoice = issue_on_day(_draft(make_invoice, service_product, 2), by=admin, on=DAY)
    assert invoice.status == DocumentStatus.ISSUED


def test_over_the_limit_is_refused_and_nothing_changes(
    limited, admin, make_invoice, service_product
):
    draft = _draft(make_invoice, service_product, 3)  # 234.00: 780 + 234 = 1014.00
    entries = AuditEntry.objects.count()
    with pytest.raises(Conflict) as error:
        issue_on_day(draft, by=admin, on=DAY)
    assert error.value.code == "credit_limit_exceeded"
    assert error.value.message == (
        "Émettre cette facture porterait l'encours de Boulangerie Dupont SARL à "
        "1\u202f014,00\u00a0€, au-delà de sa limite de crédit de 1\u202f000,00\u00a0€ "
        "(dépassement de 14,00\u00a0€)."
    )
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.issue_date) == (DocumentStatus.DRAFT, "", None)
    assert _last_number() == 1  # no number consumed
    assert Installment.objects.count() == 1
    assert AuditEntry.objects.count() == entries
    # A blank reason is no reason.
    with pytest.raises(Conflict):
        issue_on_day(draft, by=admin, on=DAY, override_reason="   ")


def test_unallocated_payment_makes_room(limited, admin, make_invoice, service_product, pay):
    # 780 − 50 unallocated + 234 = 964.00 <= 1000.
    pay("50.00", DAY)
    invoice = issue_on_day(_draft(make_invoice, service_product, 3), by=admin, on=DAY)
    assert invoice.status == DocumentStatus.ISSUED


@pytest.mark.parametrize("role", [Role.SALES, Role.COLLECTION])
def test_override_without_the_right_is_forbidden(
    limited, company, make_user, make_invoice, service_product, role
):
    user = make_user("vendeur", company, role)
    draft = _draft(make_invoice, service_product, 3)
    with pytest.raises(Forbidden) as error:
        issue_on_day(draft, by=user, on=DAY, override_reason="Client historique")
    if role == Role.SALES:
        assert error.value.message == (
            "Votre rôle (Commercial / ADV) ne permet pas de gérer les limites de crédit."
        )
    draft.refresh_from_db()
    assert draft.status == DocumentStatus.DRAFT
    assert _last_number() == 1


def test_sales_under_the_limit_needs_no_right(
    limited, company, make_user, make_invoice, service_product
):
    user = make_user("vendeur", company, Role.SALES)
    invoice = issue_on_day(_draft(make_invoice, service_product, 1), by=user, on=DAY)
    assert invoice.status == DocumentStatus.ISSUED


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ACCOUNTING])
def test_override_with_the_right_and_a_reason_passes_and_is_audited(
    limited, company, make_user, make_invoice, service_product, role
):
    user = make_user("ok", company, role)
    draft = _draft(make_invoice, service_product, 3)
    invoice = issue_on_day(draft, by=user, on=DAY, override_reason=" Acompte reçu par chèque ")
    assert (invoice.status, _last_number()) == (DocumentStatus.ISSUED, 2)
    entry = next(e for e in trail(invoice) if e.action == "invoice.credit_override")
    assert entry.actor == user
    assert entry.changes == {
        "reason": "Acompte reçu par chèque",
        "credit_limit": "1\u202f000,00\u00a0€",
        "exposure": "1\u202f014,00\u00a0€",
        "over_by": "14,00\u00a0€",
    }


def test_credit_notes_are_never_blocked(customer, admin, invoice_of):
    invoice = invoice_of(10, DAY)
    # A zero limit: every invoice needs an override; the credit note does not.
    set_credit_limit(customer, limit="0", origin="manual", by=admin)
    note = create_credit_note(invoice, by=admin, mode="amount", amount="10", vat_rate="20")
    note = issue_on_day(note, by=admin, on=DAY)
    assert note.status == DocumentStatus.ISSUED


def test_no_limit_no_check(customer, admin, invoice_of):
    invoice = invoice_of(1000, DAY)  # 78,000.00
    assert invoice.total_incl_vat == D("78000.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuing_never_passes_the_limit(customer, admin, make_invoice, service_product):
    """20 drafts of 1 h (78.00) at once under a limit of 780.00: exactly 10 pass. Without
    the customer's row lock, each transaction would see the others' invoices unissued."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import close_old_connections, connection

    set_credit_limit(customer, limit="780", origin="manual", by=admin)
    drafts = [_draft(make_invoice, service_product, 1).pk for _ in range(20)]

    def issue(pk):
        close_old_connections()
        try:
            issue_on_day(Invoice.objects.get(pk=pk), by=admin, on=DAY)
            return "issued"
        except Conflict as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(issue, drafts))
    assert sorted(outcomes) == ["credit_limit_exceeded"] * 10 + ["issued"] * 10
    assert _last_number() == 10
