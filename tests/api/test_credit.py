"""POST /api/invoices/{id}/issue over the customer's credit limit: 409, or an override."""

from encaisse.audit.services import trail
from encaisse.companies.models import Role
from encaisse.customers.credit import set_credit_limit
from tests.api.conftest import ApiClient, assert_error


def test_issue_over_the_limit_needs_an_override_reason(
    api, company, customer, admin, make_invoice, make_user, make_key, unchanged
):
    # 2 × 18.90 = 37.80 at 5.5 % = 39.88 TTC, over a limit of 30.00 by 9.88.
    set_credit_limit(customer, limit="30", origin="manual", by=admin)
    draft = make_invoice()
    with unchanged():
        body = assert_error(
            api.post(f"/api/invoices/{draft.pk}/issue"),
            409,
            "credit_limit_exceeded",
            "override_reason",
        )
    assert "dépassement de 9,88\u00a0€" in body["message"]
    seller = ApiClient(make_key(make_user("vendeur", company, Role.SALES), company))
    with unchanged():
        assert_error(
            seller.post(f"/api/invoices/{draft.pk}/issue", {"override_reason": "Urgent"}),
            403,
            "forbidden",
        )
    response = api.post(
        f"/api/invoices/{draft.pk}/issue", {"override_reason": "Accord du directeur financier"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "issued"
    entry = next(e for e in trail(draft) if e.action == "invoice.credit_override")
    assert entry.changes["reason"] == "Accord du directeur financier"
