"""Dunning in the web UI: the reminders list and its run, a reminder's page and its
actions (send, edit, postpone, cancel, registered mail), the scenarios settings, the
collector's agenda, the customer's dunning profile.

One customer, one invoice of 10 hours × 65.00 HT + 20 % VAT = 780.00 TTC issued on
01/03/2025 at 30 days net: due on 31/03/2025. Default scenario: level 1 e-mail at D+1
(automatic), level 2 letter and e-mail at D+15 (to validate).
"""

import datetime as dt
import io
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from freezegun import freeze_time
from openpyxl import load_workbook

from encaisse.companies.models import Role
from encaisse.customers.services import add_contact
from encaisse.dunning.actions import send_reminder
from encaisse.dunning.models import DunningScenario, Reminder, ReminderStatus
from encaisse.dunning.run import run_dunning
from encaisse.dunning.scenarios import default_scenario
from encaisse.jobs.models import Job
from encaisse.jobs.runner import run_pending_jobs
from encaisse.mailing.models import OutgoingMail
from tests.conftest import archived
from tests.documents.test_pdf import eur, pages_text
from tests.documents.test_statement_pdf import flat

pytestmark = pytest.mark.django_db

DUE = dt.date(2025, 3, 31)
L1_DAY = dt.date(2025, 4, 1)  # D+1
L2_DAY = dt.date(2025, 4, 15)  # D+15, and 14 days (15 - 1) after level 1 was sent


def field_block(html: str, name: str) -> str:
    """The HTML of the form field `name`, up to the next field."""
    return html.split(f'for="id_{name}"')[1].split('class="field')[0]


@pytest.fixture
def debtor(customer, admin):
    add_contact(
        customer,
        {"name": "Service comptable", "email": "compta@dupont.fr", "is_billing_contact": True},
        by=admin,
    )
    return customer


@pytest.fixture
def overdue(debtor, invoice_of):
    invoice = invoice_of(10, dt.date(2025, 3, 1), cust=debtor, terms_kind="net", terms_days=30)
    assert (invoice.due_date, invoice.total_incl_vat) == (DUE, D("780.00"))
    return archived(invoice)  # its render job done: the queue holds only what a test adds


@pytest.fixture
def level2(company, admin, overdue):
    """Level 1 sent on 01/04 by the run; level 2 proposed on 15/04, to validate."""
    with freeze_time("2025-04-01 09:00:00"):
        first = run_dunning(company, L1_DAY, by=admin)
    assert [r.level for r in first.sent] == [1]
    with freeze_time("2025-04-15 09:00:00"):
        second = run_dunning(company, L2_DAY, by=admin)
    (reminder,) = second.proposed
    assert (reminder.level, reminder.channel, reminder.needs_validation) == (
        2,
        "letter_email",
        True,
    )
    return reminder


# ---------------------------------------------------------------- list and run


def test_run_from_the_page_runs_as_a_job_with_its_progress(admin_client, overdue, admin):
    with freeze_time("2025-04-01 09:00:00"):
        response = admin_client.post(reverse("web:dunning_run"), {"as_of": "2025-04-01"})
        run = Job.objects.get(name="dunning.run")
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('web:reminders')}?job={run.pk}"
        assert (run.key, run.created_by, run.label) == (
            f"dunning-run:{overdue.company_id}:2025-04-01",
            admin,
            "Relance du 01/04/2025",
        )
        html = admin_client.get(response["Location"]).content.decode()
        assert f'hx-get="/jobs/{run.pk}/progress"' in html and "En attente" in html
        assert not Reminder.objects.exists()  # nothing done in the request
        assert run_pending_jobs() == 1
        html = admin_client.get(reverse("web:job_progress", args=[run.pk])).content.decode()
    # One customer, one level-1 reminder: proposed and sent at once (no validation).
    assert "Terminée" in html and "hx-trigger" not in html
    assert "1 nouvelle relance proposée" in html
    assert "1 envoyée automatiquement (niveau sans validation)" in html
    assert "0 envoi automatique impossible" in html
    assert 'href="/dunning/"' in html and "Voir les relances" in html
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.sent_on, reminder.principal) == (
        ReminderStatus.SENT,
        L1_DAY,
        D("780.00"),
    )


def test_the_days_run_is_done_once_and_shown_on_the_list(admin_client, overdue):
    with freeze_time("2025-04-01 09:00:00"):
        admin_client.post(reverse("web:dunning_run"), {"as_of": "2025-04-01"})
        run_pending_jobs()
    with freeze_time("2025-04-01 11:00:00"):
        response = admin_client.post(
            reverse("web:dunning_run"), {"as_of": "2025-04-01"}, follow=True
        )
        assert run_pending_jobs() == 0
        html = response.content.decode()
        assert (
            "La relance du 01/04/2025 a déjà été faite (01/04/2025 à 11:00) : une seule par jour."
            in html
        )
        # Without ?job=, the list shows the day's run (the morning's scheduled one too).
        html = admin_client.get(reverse("web:reminders")).content.decode()
        assert "Relance du 01/04/2025" in html and "1 nouvelle relance proposée" in html
    assert Job.objects.filter(name="dunning.run").count() == 1
    assert Reminder.objects.count() == 1 and OutgoingMail.objects.count() == 1


def test_a_failed_run_is_queued_again_by_the_button(admin_client, overdue, company, admin):
    from encaisse.dunning.jobs import start_run

    with freeze_time("2025-04-01 09:00:00"):
        run = start_run(company, L1_DAY, by=admin)
        Job.objects.filter(pk=run.pk).update(state="failed", error="panne")
        admin_client.post(reverse("web:dunning_run"), {"as_of": "2025-04-01"})
        run.refresh_from_db()
        assert run.state == "queued"
        run_pending_jobs()
    run.refresh_from_db()
    assert run.state == "done" and Reminder.objects.count() == 1


def test_run_in_the_future_refused_next_to_the_date(admin_client, overdue):
    with freeze_time("2025-04-01 09:00:00"):
        response = admin_client.post(reverse("web:dunning_run"), {"as_of": "2025-04-02"})
    assert response.status_code == 422
    block = field_block(response.content.decode(), "as_of")
    assert "La date de relance ne peut pas être dans le futur." in block
    assert not Reminder.objects.exists()


def test_run_before_the_open_proposals_refused(admin_client, level2):
    # Level 2 was proposed on 15/04: a run for 10/04 would cancel it (nothing was due
    # at level 2 yet), so the page refuses it.
    with freeze_time("2025-04-16 09:00:00"):
        response = admin_client.post(reverse("web:dunning_run"), {"as_of": "2025-04-10"})
    assert response.status_code == 422
    assert "proposées le 15/04/2025" in field_block(response.content.decode(), "as_of")
    level2.refresh_from_db()
    assert level2.status == ReminderStatus.PROPOSED


def test_list_filters_and_empty_states(admin_client, level2):
    url = reverse("web:reminders")
    with freeze_time("2025-04-15 10:00:00"):
        # Default: the open ones (the level 2 proposal), not the level 1 sent.
        html = admin_client.get(url).content.decode()
        assert f'href="{reverse("web:reminder_detail", args=[level2.pk])}"' in html
        assert "Envoyée</span>" not in html
        html = admin_client.get(url, {"status": "sent"}).content.decode()
        assert "Envoyée</span>" in html and "À valider</span>" not in html
        html = admin_client.get(url, {"level": "3"}).content.decode()
        assert "Aucune relance ne correspond à ces filtres." in html
        html = admin_client.get(url, {"q": "dupont", "status": "all"}).content.decode()
        assert html.count("Boulangerie Dupont SARL</a>") == 2
        # "Mes clients": the customer has no collector yet.
        html = admin_client.get(url, {"mine": "on"}).content.decode()
        assert "Aucune relance ne correspond à ces filtres." in html


def test_empty_list_invites_to_run(admin_client, company):
    html = admin_client.get(reverse("web:reminders")).content.decode()
    assert "Aucune relance en cours." in html
    assert "Lancer les relances" in html


def test_export_lists_the_filtered_reminders(admin_client, level2):
    with freeze_time("2025-04-15 10:00:00"):
        response = admin_client.get(reverse("web:reminder_export"), {"status": "all"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("N°", "Proposée le", "Client", "Niveau")
    # Newest first: level 2 proposed on 15/04, then level 1 sent on 01/04.
    assert [(r[3], r[6], r[7]) for r in rows[1:]] == [(2, "À valider", 780), (1, "Envoyée", 780)]
    # Penalties, fees and total: stored once sent; blank for the proposal, not a false 0.
    assert [r[8:11] for r in rows[1:]] == [(None, None, None), (0, 0, 780)]


# ---------------------------------------------------------------- one reminder


def test_reminder_page_shows_items_message_and_letter(admin_client, level2):
    with freeze_time("2025-04-15 10:00:00"):
        response = admin_client.get(reverse("web:reminder_detail", args=[level2.pk]))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Relance formelle" in html and "Courrier et e-mail" in html
        # The item: due 31/03, 15 days late on 15/04, 780.00 open, level 2 reached now.
        assert "31/03/2025" in html and "15 j" in html
        assert "780,00" in html and "nouveau niveau" in html
        assert "data-message" in html  # the default e-mail text
        assert "Aperçu de la lettre (PDF)" in html
        assert "Valider et envoyer" in html
        pdf = admin_client.get(reverse("web:reminder_letter", args=[level2.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "apercu-" in pdf["Content-Disposition"]


def amounts_card(html: str) -> str:
    """The text of the reminder page's "Montants" card."""
    return html.split("<h2>Montants</h2>")[1].split("</section>")[0]


def preview_text(client, reminder) -> str:
    response = client.get(reverse("web:reminder_letter", args=[reminder.pk]))
    assert response["Content-Type"] == "application/pdf"
    return " ".join(flat(page) for page in pages_text(response.content))


def test_page_and_letter_preview_claim_the_same_penalties_and_fee(admin_client, level2):
    # Level 2 (formal) proposed on 15/04/2025 for the 780.00 due on 31/03: penalties from
    # 01/04 to 15/04, 15 days at the ECB rate of 1 Jan 2025 + 10 points = 13.15 %:
    # 780.00 × 13.15 % × 15 / 365 = 4.2152… -> 4.22; the recovery fee 40.00 (a company);
    # total 780.00 + 4.22 + 40.00 = 824.22.
    penalties, fee, total = eur("4,22 €"), eur("40,00 €"), eur("824,22 €")
    with freeze_time("2025-04-15 10:00:00"):
        html = admin_client.get(reverse("web:reminder_detail", args=[level2.pk])).content.decode()
        letter = preview_text(admin_client, level2)
    card = amounts_card(html)
    assert f'Pénalités de retard</dt><dd class="num">{penalties}' in card
    assert f'Indemnités forfaitaires</dt><dd class="num">{fee}' in card
    assert f"<strong>{total}</strong>" in card
    assert "Arrêtés au 15/04/2025, date de la lettre" in card
    # The item's row carries them too (its invoice's only item).
    assert f'<td class="num nowrap">{penalties}</td>' in html
    # The letter: "Au 15/04/2025, elles s'élèvent à 4,22 € de pénalités et 40,00 €
    # d'indemnités, soit un total dû de 824,22 €."
    assert f"elles s'élèvent à {penalties} de pénalités et {fee} d'indemnités" in letter
    assert f"total dû de {total}" in letter
    # Nothing was stored by looking: the send computes and stores the same.
    level2.refresh_from_db()
    assert (level2.penalties, level2.recovery_fees) == (0, 0)
    with freeze_time("2025-04-15 10:00:00"):
        admin_client.post(reverse("web:reminder_send", args=[level2.pk]), {"send-to": ""})
    level2.refresh_from_db()
    assert (level2.status, level2.penalties, level2.recovery_fees) == ("sent", D("4.22"), D("40"))
    with freeze_time("2025-04-16 10:00:00"):
        html = admin_client.get(reverse("web:reminder_detail", args=[level2.pk])).content.decode()
    assert f"<strong>{total}</strong>" in amounts_card(html)


def test_page_of_a_proposal_from_an_earlier_day_says_it_will_be_updated(admin_client, level2):
    # Seen on 18/04, the proposal of 15/04 still claims what its letter (dated 15/04)
    # does; a send today first brings it up to 18/04.
    with freeze_time("2025-04-18 10:00:00"):
        card = amounts_card(
            admin_client.get(reverse("web:reminder_detail", args=[level2.pk])).content.decode()
        )
    assert eur("4,22 €") in card and "Arrêtés au 15/04/2025" in card
    assert "Validée aujourd'hui, elle sera d'abord mise à jour au 18/04/2025" in card
    # Sent on 18/04: 18 days, 780.00 × 13.15 % × 18 / 365 = 5.0582… -> 5.06.
    with freeze_time("2025-04-18 10:00:00"):
        admin_client.post(reverse("web:reminder_send", args=[level2.pk]), {"send-to": ""})
        card = amounts_card(
            admin_client.get(reverse("web:reminder_detail", args=[level2.pk])).content.decode()
        )
    assert eur("5,06 €") in card and "Arrêtés au 18/04/2025" in card


def test_page_says_why_the_penalties_cannot_be_computed(admin_client, level2):
    from encaisse.collection.models import ReferenceRate

    # No ECB rate known for the first half of 2025: the engine refuses, the page says so.
    ReferenceRate.objects.filter(valid_from__year=2025).delete()
    with freeze_time("2025-04-15 10:00:00"):
        response = admin_client.get(reverse("web:reminder_detail", args=[level2.pk]))
    assert response.status_code == 200
    card = amounts_card(response.content.decode())
    assert "Pénalités incalculables : Aucun taux BCE connu au 01/01/2025" in card


def test_validate_and_send_a_level_two_letter(admin_client, level2):
    url = reverse("web:reminder_send", args=[level2.pk])
    with freeze_time("2025-04-15 10:00:00"):
        response = admin_client.post(
            url, {"send-to": "", "send-registered_mail_ref": ""}, follow=True
        )
    html = response.content.decode()
    assert f"Relance n° {level2.pk} envoyée le 15/04/2025." in html
    level2.refresh_from_db()
    assert (level2.status, level2.sent_on, level2.sent_on) == (
        ReminderStatus.SENT,
        L2_DAY,
        L2_DAY,
    )
    assert bytes(level2.letter_pdf).startswith(b"%PDF")
    assert OutgoingMail.objects.get(pk=level2.mail_id).to == ["compta@dupont.fr"]
    # The sent letter is the stored one; the registered-mail form is offered now.
    assert "Lettre envoyée (PDF)" in html and 'name="registered-ref"' in html
    with freeze_time("2025-04-16 10:00:00"):
        response = admin_client.post(
            reverse("web:reminder_registered", args=[level2.pk]),
            {"registered-ref": "1A 123 456 7890 1"},
            follow=True,
        )
        assert "N° de recommandé 1A 123 456 7890 1 enregistré." in response.content.decode()
        pdf = admin_client.get(reverse("web:reminder_letter", args=[level2.pk]))
    assert pdf.content == bytes(level2.letter_pdf)


@pytest.fixture
def notice(company, admin, level2):
    """Level 2 sent on 15/04; the formal notice (level 3, registered) proposed on 30/04
    (D+30, and 15 days after level 2)."""
    with freeze_time("2025-04-15 09:00:00"):
        send_reminder(level2, by=admin)
    with freeze_time("2025-04-30 09:00:00"):
        (reminder,) = run_dunning(company, dt.date(2025, 4, 30), by=admin).proposed
    assert (reminder.level, reminder.channel) == (3, "registered")
    return reminder


def test_a_registered_letter_is_refused_without_its_number_next_to_the_field(admin_client, notice):
    url = reverse("web:reminder_send", args=[notice.pk])
    with freeze_time("2025-04-30 10:00:00"):
        html = admin_client.get(reverse("web:reminder_detail", args=[notice.pk])).content.decode()
        assert 'name="send-registered_mail_ref"' in html
        assert "son numéro (celui de la liasse La Poste) est obligatoire" in html
        response = admin_client.post(url, {"send-to": "", "send-registered_mail_ref": " "})
    assert response.status_code == 422
    html = response.content.decode()
    block = field_block(html, "send-registered_mail_ref")
    assert "Indiquez le numéro du recommandé" in block
    # Once, next to its field: the banner at the top only points to it.
    assert html.count("Indiquez le numéro du recommandé") == 1
    notice.refresh_from_db()
    assert (notice.status, notice.letter_pdf) == (ReminderStatus.PROPOSED, None)
    with freeze_time("2025-04-30 10:00:00"):
        response = admin_client.post(
            url, {"send-to": "", "send-registered_mail_ref": "1A 123 456 7890 1"}, follow=True
        )
    html = response.content.decode()
    assert f"Relance n° {notice.pk} validée (courrier à poster) le 30/04/2025." in html
    assert '<dd class="mono">1A 123 456 7890 1</dd>' in html
    assert "Corriger le n° de recommandé" in html
    notice.refresh_from_db()
    assert (notice.status, notice.registered_mail_ref) == (ReminderStatus.SENT, "1A 123 456 7890 1")


def test_invoice_page_lists_the_reminders_sent(admin_client, level2, overdue):
    url = reverse("web:invoice_detail", args=[overdue.pk])
    with freeze_time("2025-04-15 10:00:00"):
        html = admin_client.get(url).content.decode()
        # Only level 1 was sent so far (on 01/04); level 2 is a proposal.
        assert len(re.findall(r'href="/dunning/\d+/"', html)) == 1
        assert "Relance amiable n° " in html and "01/04/2025" in html
        assert "Relance formelle" not in html
        admin_client.post(
            reverse("web:reminder_send", args=[level2.pk]),
            {"send-to": "", "send-registered_mail_ref": ""},
        )
        html = admin_client.get(url).content.decode()
    assert f"Relance formelle n° {level2.pk}" in html and "15/04/2025" in html


def test_send_to_a_bad_address_shows_the_error_next_to_the_field(admin_client, level2):
    with freeze_time("2025-04-15 10:00:00"):
        response = admin_client.post(
            reverse("web:reminder_send", args=[level2.pk]), {"send-to": "pas-une-adresse"}
        )
    assert response.status_code == 422
    assert 'class="error"' in field_block(response.content.decode(), "send-to")
    level2.refresh_from_db()
    assert level2.status == ReminderStatus.PROPOSED


def test_edit_then_postpone_then_cancel(admin_client, level2):
    detail = reverse("web:reminder_detail", args=[level2.pk])
    with freeze_time("2025-04-15 10:00:00"):
        response = admin_client.post(
            reverse("web:reminder_edit", args=[level2.pk]),
            {"edit-subject": "Facture FA en retard", "edit-body": "Bonjour,\nMerci de régler."},
            follow=True,
        )
        html = response.content.decode()
        assert "Message enregistré." in html
        assert "Facture FA en retard" in html and "Bonjour,<br>Merci de régler." in html
        # Postponing to today is refused next to the date; to a later day it is done.
        response = admin_client.post(
            reverse("web:reminder_postpone", args=[level2.pk]), {"postpone-until": "2025-04-15"}
        )
        assert response.status_code == 422
        assert "postérieure à aujourd&#x27;hui" in field_block(
            response.content.decode(), "postpone-until"
        )
        response = admin_client.post(
            reverse("web:reminder_postpone", args=[level2.pk]),
            {"postpone-until": "2025-04-22", "postpone-reason": "Client en congés"},
            follow=True,
        )
        assert "Relance reportée au 22/04/2025." in response.content.decode()
        # Cancelling needs a reason.
        response = admin_client.post(reverse("web:reminder_cancel", args=[level2.pk]), {})
        assert response.status_code == 422
        assert "Indiquez le motif de l&#x27;annulation." in field_block(
            response.content.decode(), "cancel-reason"
        )
        admin_client.post(
            reverse("web:reminder_cancel", args=[level2.pk]), {"cancel-reason": "Réglé par chèque"}
        )
        html = admin_client.get(detail).content.decode()
    level2.refresh_from_db()
    assert (level2.status, level2.hold_reason) == (ReminderStatus.CANCELLED, "Réglé par chèque")
    assert "Valider et envoyer" not in html and "Motif d'annulation" in html


def test_read_only_user_sees_no_forms_and_cannot_send(client_of, company, make_user, level2):
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    with freeze_time("2025-04-15 10:00:00"):
        html = reader.get(reverse("web:reminder_detail", args=[level2.pk])).content.decode()
        assert "Valider et envoyer" not in html and "Lancer les relances" not in html
        assert reader.post(reverse("web:reminder_send", args=[level2.pk]), {}).status_code == 403
        assert reader.post(reverse("web:dunning_run"), {"as_of": "2025-04-15"}).status_code == 403
        assert reader.get(reverse("web:reminders")).status_code == 200
    level2.refresh_from_db()
    assert level2.status == ReminderStatus.PROPOSED


def test_other_company_reminder_is_not_found(client_of, other_company, make_user, level2):
    stranger = client_of(make_user("autre", other_company, Role.ADMIN))
    assert stranger.get(reverse("web:reminder_detail", args=[level2.pk])).status_code == 404


# ---------------------------------------------------------------- scenarios


def _levels_post(**changes):
    """The default levels as the form posts them (rank 0 unused)."""
    data = {
        "name": "Standard",
        "block_level": "3",
        "level-1-used": "1",
        "level-1-day_offset": "1",
        "level-1-channel": "email",
        "level-2-used": "1",
        "level-2-day_offset": "15",
        "level-2-channel": "letter_email",
        "level-2-needs_validation": "1",
        "level-3-used": "1",
        "level-3-day_offset": "30",
        "level-3-channel": "registered",
        "level-3-needs_validation": "1",
        "level-4-used": "1",
        "level-4-day_offset": "45",
        "level-4-channel": "registered",
        "level-4-needs_validation": "1",
        "level-0-day_offset": "-5",
        "level-0-channel": "email",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_scenarios_listed_with_their_levels(admin_client, company):
    html = admin_client.get(reverse("web:dunning_scenarios")).content.decode()
    assert "Standard" in html and "Par défaut" in html
    assert "J+15" in html and "Lettre recommandée avec AR" in html


def test_scenario_edited_courtesy_added(admin_client, company):
    scenario = default_scenario(company)
    response = admin_client.post(
        reverse("web:dunning_scenario_edit", args=[scenario.pk]),
        _levels_post(**{"level-0-used": "1", "level-2-day_offset": "20"}),
    )
    assert response.status_code == 302
    levels = list(scenario.levels.values_list("rank", "day_offset", "channel"))
    assert levels == [
        (0, -5, "email"),
        (1, 1, "email"),
        (2, 20, "letter_email"),
        (3, 30, "registered"),
        (4, 45, "registered"),
    ]


def test_scenario_error_shown_on_its_level_row(admin_client, company):
    scenario = default_scenario(company)
    response = admin_client.post(
        reverse("web:dunning_scenario_edit", args=[scenario.pk]),
        _levels_post(**{"level-3-channel": "email"}),
    )
    assert response.status_code == 422
    html = response.content.decode()
    row = html.split('name="level-3-used"')[1].split("</tr>")[0]
    assert "Niveau 3 : une mise en demeure part par courrier" in row
    # Nothing changed.
    assert scenario.levels.get(rank=3).channel == "registered"


def test_scenario_created_for_a_segment_and_taken_segment_refused(admin_client, company):
    url = reverse("web:dunning_scenario_create")
    response = admin_client.post(
        url, _levels_post(name="Grands comptes", segments=["strategic"], **{"level-0-used": None})
    )
    assert response.status_code == 302
    created = DunningScenario.objects.get(name="Grands comptes")
    assert (created.segments, created.is_default) == (["strategic"], False)
    response = admin_client.post(url, _levels_post(name="Autre", segments=["strategic"]))
    assert response.status_code == 422
    html = response.content.decode()
    assert "suit déjà le scénario « Grands comptes »" in html.split("data-segments")[1]


def test_scenarios_need_the_company_right(client_of, company, make_user):
    collector = client_of(make_user("recouvreur", company, Role.COLLECTION))
    scenario = default_scenario(company)
    assert collector.get(reverse("web:dunning_scenarios")).status_code == 200
    url = reverse("web:dunning_scenario_edit", args=[scenario.pk])
    assert collector.get(url).status_code == 403
    assert collector.post(url, _levels_post()).status_code == 403


# ---------------------------------------------------------------- agenda and profile


def test_agenda_lists_the_letter_to_validate(admin_client, level2):
    with freeze_time("2025-04-15 10:00:00"):
        html = admin_client.get(reverse("web:dunning_desk")).content.decode()
    assert "Aucun client n'a de gestionnaire de recouvrement" in html
    section = html.split('id="validate"')[1].split("</section>")[0]
    assert "Relance formelle (niveau 2)" in section
    assert reverse("web:reminder_detail", args=[level2.pk]) in section
    assert reverse("web:collection_file", args=[level2.customer_id]) in section


def test_profile_sets_the_collector_and_refuses_a_date_without_reason(admin_client, admin, debtor):
    url = reverse("web:dunning_profile", args=[debtor.pk])
    response = admin_client.post(url, {"collector": admin.pk, "excluded_until": "2025-06-30"})
    assert response.status_code == 422
    assert "Indiquez le motif de l&#x27;exclusion des relances." in field_block(
        response.content.decode(), "exclusion_reason"
    )
    response = admin_client.post(
        url,
        {"collector": admin.pk, "exclusion_reason": "Redressement judiciaire"},
        follow=True,
    )
    html = response.content.decode()
    assert "Profil de relance enregistré." in html
    assert "exclu des relances" in html and "Redressement judiciaire" in html
    debtor.refresh_from_db()
    assert (debtor.collector, debtor.dunning_excluded_until) == (admin, None)


def test_profile_needs_the_customers_right(client_of, company, make_user, debtor):
    reader = client_of(make_user("lecteur", company, Role.READ_ONLY))
    assert reader.get(reverse("web:dunning_profile", args=[debtor.pk])).status_code == 403
