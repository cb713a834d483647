"""POST /api/bank-lines/{id}/match and /unmatch, GET /proposals; the job and the CLI."""

import datetime as dt
from io import StringIO

from django.core.management import call_command

from encaisse.banking.models import LineStatus
from encaisse.receivables.models import Installment
from tests.banking.factories import make_line

JAN = dt.date(2026, 1, 10)
FEB = dt.date(2026, 2, 12)


def test_match_then_unmatch_through_the_api(api, company, invoice_of):
    invoice = invoice_of(2, JAN)  # 156.00
    line = make_line(company, "156.00", "VIR DUPONT", on=FEB)
    wrong = api.post(
        f"/api/bank-lines/{line.pk}/match",
        {"allocations": [{"invoice": invoice.pk, "amount": "150.00"}]},
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "amounts_mismatch"
    both = api.post(f"/api/bank-lines/{line.pk}/match", {"remittance": 1, "refund": 1})
    assert both.status_code == 422
    response = api.post(
        f"/api/bank-lines/{line.pk}/match",
        {"allocations": [{"invoice": invoice.pk, "amount": "156.00"}]},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "matched" and body["matches"][0]["amount"] == "156.00"
    again = api.post(
        f"/api/bank-lines/{line.pk}/match",
        {"allocations": [{"invoice": invoice.pk, "amount": "156.00"}]},
    )
    assert again.status_code == 409
    undone = api.post(f"/api/bank-lines/{line.pk}/unmatch", {"reason": "Erreur"})
    assert undone.status_code == 200 and undone.json()["status"] == "unmatched"
    assert Installment.objects.get(invoice=invoice).open_amount == invoice.total_incl_vat


def test_assign_and_proposals_and_other_company(api, other_api, company, invoice_of):
    line = make_line(company, "-3.20", "COMMISSION", on=FEB)
    assert (
        other_api.post(
            f"/api/bank-lines/{line.pk}/match", {"account": "627", "label": "Frais"}
        ).status_code
        == 404
    )
    response = api.post(f"/api/bank-lines/{line.pk}/match", {"account": "627", "label": "Frais"})
    assert response.status_code == 200 and response.json()["status"] == "assigned"
    other = make_line(company, "1.00", "VIR INCONNU", on=FEB)
    proposals = api.get(f"/api/bank-lines/{other.pk}/proposals")
    assert proposals.status_code == 200 and proposals.json()["candidates"] == []


def test_the_cli_runs_the_job_and_prints_the_counts(company, admin, invoice_of):
    invoice = invoice_of(2, JAN)
    line = make_line(company, "156.00", f"VIR {invoice.number}", on=FEB)
    make_line(company, "42.00", "VIR INCONNU", on=FEB)
    out = StringIO()
    call_command("bank", "reconcile", "--company", company.siren, stdout=out)
    assert "2 ligne(s) : 1 rapprochée(s) automatiquement" in out.getvalue()
    assert "0 proposée(s), 1 sans candidat" in out.getvalue()
    line.refresh_from_db()
    assert line.status == LineStatus.MATCHED


def test_payments_parts_and_proposals(api, company, admin, customer, invoice_of):
    from encaisse.banking.services.reconcile import reconcile
    from encaisse.receivables.services.payments import record_payment

    typed = record_payment(
        company,
        {"customer": customer.pk, "amount": "40.00", "date": FEB, "method": "transfer"},
        by=admin,
    )
    line = make_line(company, "40.00", "VIR", on=FEB)
    response = api.post(f"/api/bank-lines/{line.pk}/match", {"payments": [typed.pk]})
    assert response.status_code == 200 and response.json()["matches"][0]["payment"] == typed.pk
    a, b = invoice_of(1, JAN), invoice_of(2, JAN)  # 78.00, 156.00
    split = make_line(company, "234.00", "VIR", on=FEB)
    response = api.post(
        f"/api/bank-lines/{split.pk}/match",
        {
            "parts": [
                {"allocations": [{"invoice": a.pk, "amount": "78.00"}]},
                {"allocations": [{"invoice": b.pk, "amount": "156.00"}]},
            ]
        },
    )
    assert response.status_code == 200 and len(response.json()["matches"]) == 2
    c = invoice_of(3, JAN)  # 234.00
    short = make_line(company, "230.00", f"VIR {c.number}", on=FEB)  # 4.00 short, no name
    reconcile(company, [short], by=admin)
    body = api.get(f"/api/bank-lines/{short.pk}/proposals").json()
    best = body["candidates"][0]
    assert best["items"][0]["number"] == c.number and best["write_off"] == "4.00"
    assert best["score"] == body["score"] and best["reasons"][0].startswith("n° ")
