"""The audit trail in words: every action the services record has a French label, stored
codes show their labels, ids the number or name of the record they point to."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse

import encaisse
from encaisse.audit.services import record
from encaisse.companies.models import Role
from encaisse.companies.services import add_member
from encaisse.customers.services import create_customer
from encaisse.sales.kinds import KINDS
from encaisse.sales.services import create_credit_note
from encaisse.web import audit
from encaisse.web.audit import ACTION_LABELS

# audit.record("customer.created", ...); issuing records the action of the document's
# kind, from the kinds table (sales/kinds.py).
ACTION = re.compile(r'"([a-z_]+\.[a-z_]+)"')
RECORD = re.compile(r"\brecord\(\s*([^,]+),", re.S)


def recorded_actions() -> set[str]:
    actions = set()
    for path in Path(encaisse.__file__).parent.rglob("*.py"):
        for call in RECORD.finditer(path.read_text(encoding="utf-8")):
            actions |= set(ACTION.findall(call.group(1)))
    return actions | {kind.action_issued for kind in KINDS.values()}


def test_every_recorded_action_has_a_french_label():
    actions = recorded_actions()
    assert {"invoice.issued", "credit_note.issued", "dispute.opened"} <= actions
    assert sorted(actions - ACTION_LABELS.keys()) == []


# ---------------------------------------------------------------- values shown in words


def changes_of(obj, action: str) -> dict:
    """{field label: (old, new, url)} of the newest entry `action` on `obj`'s trail."""
    entry = next(e for e in audit.entries(obj) if e["action"] == ACTION_LABELS[action])
    return {c["field"]: (c["old"], c["new"], c["url"]) for c in entry["changes"]}


@pytest.mark.django_db
def test_codes_of_a_customer_are_shown_by_their_labels(admin_client, company, admin):
    consumer = create_customer(
        company,
        {"legal_name": "Jeanne Martin", "kind": "consumer", "segment": "risky"},
        by=admin,
    )
    changes = changes_of(consumer, "customer.created")
    # The model's choices: CustomerKind.CONSUMER, Segment.RISKY.
    assert changes["type"] == (None, "Particulier", None)
    assert changes["segment"] == (None, "À risque", None)
    html = admin_client.get(reverse("web:customer_detail", args=[consumer.pk])).content.decode()
    assert "Particulier" in html and "À risque" in html
    assert "consumer" not in html and "risky" not in html


@pytest.mark.django_db
def test_a_role_is_shown_by_its_label(admin_client, company, admin, make_user):
    reader = make_user("lecteur")
    add_member(company, reader, Role.READ_ONLY, by=admin)
    assert changes_of(company, "company.member_set")["rôle"] == (None, "Lecture seule", None)
    html = admin_client.get(reverse("web:company_settings")).content.decode()
    assert "Lecture seule" in html and "read_only" not in html


@pytest.mark.django_db
def test_a_payment_id_is_shown_by_its_number_with_a_link(admin_client, customer, pay):
    payment = pay("250.00", dt.date(2025, 3, 10))
    assert payment.number  # RG...-00001
    label, number, url = "règlement", payment.number, f"/payments/{payment.pk}/"
    assert changes_of(customer, "customer.payment_recorded")[label] == (None, number, url)
    html = admin_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert f'règlement :</span>\n            <a href="{url}">{number}</a>' in html
    assert "payment :" not in html


@pytest.mark.django_db
def test_a_draft_credit_note_is_shown_by_its_name(make_invoice, admin):
    invoice = make_invoice(issue_on=dt.date(2025, 3, 3))
    note = create_credit_note(invoice, by=admin)
    assert changes_of(invoice, "invoice.credit_note_drafted")["avoir"] == (
        None,
        f"Avoir brouillon n° {note.pk}",
        f"/invoices/{note.pk}/",
    )


@pytest.mark.django_db
def test_an_id_of_a_foreign_key_is_named_only_within_the_company(
    company, admin, customer, make_invoice, other_company, make_user
):
    """An invoice's `customer` stored as an id (as an older entry or a script would): the
    customer's name, unless the id is not of the trail's company (then a bare number)."""
    boss = make_user("autre", other_company, Role.ADMIN)
    stranger = create_customer(other_company, {"legal_name": "Secret SA"}, by=boss)
    draft = make_invoice()
    record("invoice.updated", draft, by=admin, changes={"customer": [customer.pk, stranger.pk]})
    (entry,) = [e for e in audit.entries(draft) if e["action"] == "Modification du brouillon"]
    assert entry["changes"] == [
        {
            "field": "client",
            "old": "Boulangerie Dupont SARL",
            "new": str(stranger.pk),
            "url": None,
        }
    ]


@pytest.mark.django_db
def test_a_trail_reads_its_references_at_once(customer, pay, django_assert_num_queries):
    for day in (3, 4, 5):
        pay("10.00", dt.date(2025, 3, day))
    # The entries with their actors, then the payments: 2 queries for 4 entries.
    with django_assert_num_queries(2):
        rows = audit.entries(customer)
    assert len(rows) == 4
