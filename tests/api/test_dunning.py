"""API: /api/dunning/run, /api/dunning/proposals and sending a proposal."""

import datetime as dt

from encaisse.dunning.models import Reminder, ReminderStatus
from encaisse.mailing.models import OutgoingMail

from .conftest import assert_error

FEB = dt.date(2025, 2, 15)  # 30 days net: due 17/03/2025, level 1 from 18/03


def test_run_list_and_send(api, reader_api, other_api, invoice_of):
    invoice = invoice_of(10, FEB, terms_kind="net", terms_days=30)  # 780.00 TTC
    assert invoice.due_date == dt.date(2025, 3, 17)
    response = api.post("/api/dunning/run", {"as_of": "2025-03-17"})
    assert response.status_code == 200, response.content
    assert response.json()["proposed"] == 0  # due on the 17th: not late yet

    body = api.post("/api/dunning/run", {"as_of": "2025-03-18"}).json()
    # Level 1 goes out by itself, but the customer has no e-mail address: kept proposed.
    assert (body["proposed"], body["sent"], body["failed"]) == (1, 0, 1)
    listed = api.get("/api/dunning/proposals", {"as_of": "2025-03-18"}).json()
    assert listed["count"] == 1
    (proposal,) = listed["items"]
    assert (proposal["level"], proposal["status"], proposal["principal"]) == (
        1,
        "proposed",
        "780.00",
    )
    assert "Envoi automatique impossible" in proposal["hold_reason"]
    (item,) = proposal["items"]
    assert (item["invoice_number"], item["days_late"], item["advances"]) == (
        invoice.number,
        1,
        True,
    )
    assert api.get("/api/dunning/proposals", {"as_of": "2025-03-19"}).json()["count"] == 0

    # Not theirs: 404; read-only: 403; nothing sent.
    assert_error(
        other_api.post(f"/api/dunning/proposals/{proposal['id']}/send", {}), 404, "not_found"
    )
    assert_error(
        reader_api.post(f"/api/dunning/proposals/{proposal['id']}/send", {}), 403, "forbidden"
    )
    assert_error(
        api.post(f"/api/dunning/proposals/{proposal['id']}/send", {"to": ["pas-une-adresse"]}),
        422,
        "invalid_email",
    )
    assert Reminder.objects.get().status == ReminderStatus.PROPOSED
    assert not OutgoingMail.objects.exists()

    response = api.post(
        f"/api/dunning/proposals/{proposal['id']}/send", {"to": ["compta@dupont.fr"]}
    )
    assert response.status_code == 200, response.content
    sent = response.json()
    assert sent["status"] == "sent" and sent["sent_on"] is not None
    mail = OutgoingMail.objects.get()
    assert mail.to == ["compta@dupont.fr"] and invoice.number in mail.body
    again = api.post(f"/api/dunning/proposals/{proposal['id']}/send", {})
    assert_error(again, 409, "already_sent")


def test_bad_input(api, reader_api):
    assert_error(api.post("/api/dunning/run", {"as_of": "2090-01-01"}), 422, "future_date")
    assert api.post("/api/dunning/run", {"when": "2025-01-01"}).status_code == 422
    assert_error(reader_api.post("/api/dunning/run", {}), 403, "forbidden")
    assert_error(api.post("/api/dunning/proposals/999999/send", {}), 404, "not_found")
