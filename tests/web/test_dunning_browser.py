"""A collector's morning in a real browser (headless Chromium through Playwright): the
agenda lists a level-2 letter to validate; the collector validates and sends it, then
opens the customer's collection file from the reminder and logs a call that ends in a
promise to pay.

Skipped when Playwright (not a project dependency) or Chromium is missing.

Dates are relative to today (the live server runs on the real clock): an invoice of
10 hours × 65.00 HT + 20 % = 780.00 TTC due 45 days ago; level 1 was sent the day after
the due date (44 days ago), so level 2 (D+15, 14 days after level 1) is due today.
"""

import datetime as dt

import pytest
from django.utils import timezone

from encaisse.collection.models import PromiseToPay, ReferenceRate
from encaisse.collection.rates import half_year_start
from encaisse.companies.models import Role
from encaisse.customers.services import add_contact
from encaisse.dunning.models import Reminder, ReminderStatus
from encaisse.dunning.run import run_dunning
from encaisse.dunning.scenarios import set_dunning_profile
from tests.web.browser import PASSWORD, launch, needs_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [needs_chromium, pytest.mark.django_db]


def test_collector_validates_a_letter_and_logs_a_promise(
    live_url, company, admin, customer, make_user, invoice_of
):
    today = timezone.localdate()
    due = today - dt.timedelta(days=45)
    # The letter states the penalties (ECB rate + 10 points): the shipped table of rates
    # may stop before the current half-year.
    for day in (due, today):
        ReferenceRate.objects.get_or_create(
            kind=ReferenceRate.Kind.ECB_MRO,
            valid_from=half_year_start(day),
            defaults={"rate": "2.150", "source": "test"},
        )
    collector = make_user("claire", company, Role.COLLECTION)
    add_contact(
        customer,
        {"name": "Mme Dupont", "email": "compta@dupont.fr", "is_billing_contact": True},
        by=admin,
    )
    set_dunning_profile(customer, {"collector": collector.pk}, by=admin)
    invoice = invoice_of(10, due - dt.timedelta(days=30), terms_kind="net", terms_days=30)
    assert invoice.due_date == due
    run_dunning(company, due + dt.timedelta(days=1), by=admin)
    (letter,) = run_dunning(company, today, by=admin).proposed
    assert (letter.level, letter.channel) == (2, "letter_email")

    # No ORM call while Playwright's event loop runs in this thread (Django's connection
    # handler would give it another connection, outside the test's transaction): the
    # records are checked once the browser is closed.
    promised_on = today + dt.timedelta(days=7)
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(20_000)
        page.goto(f"{live_url}/login/")
        page.fill("input[name=username]", "claire")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")

        # The agenda: the letter to validate, in the collector's own scope.
        page.click("nav.sidenav >> text=Agenda")
        page.wait_for_selector("h1:has-text('Agenda des relances')")
        assert "Clients dont vous êtes le gestionnaire" in page.inner_text("[data-scope]")
        validate = page.locator("#validate")
        assert "Relance formelle (niveau 2)" in validate.inner_text()
        validate.locator("a:has-text('Valider')").click()

        # The reminder page: the letter previewed, then validated and sent.
        page.wait_for_selector(f"h1:has-text('Relance N° {letter.pk}')")
        assert page.locator("a:has-text('Aperçu de la lettre (PDF)')").count() == 1
        page.click("#send button[type=submit]")
        page.wait_for_selector(".message-success")
        assert f"Relance n° {letter.pk} envoyée le {today:%d/%m/%Y}." in page.inner_text(
            ".messages"
        )

        # Back to the agenda: nothing left to validate.
        page.click("nav.sidenav >> text=Agenda")
        assert "Aucune relance à valider." in page.inner_text("#validate")
        # The customer's collection file, from the reminder.
        page.go_back()
        page.click("a:has-text('Dossier du client')")
        page.wait_for_selector("#log-call")

        # The call: a promise of 780.00 in a week, tolerance 3 days.
        form = page.locator("#log-call")
        form.locator("input[name=contact_name]").fill("Mme Dupont")
        form.locator("input[name=outcome][value=promise]").check()
        form.locator(f"input[name=promise_invoices][value='{invoice.pk}']").check()
        form.locator("input[name=promise_amount]").fill("780,00")
        form.locator("input[name=promised_on]").fill(promised_on.isoformat())
        form.locator("input[name=promise_tolerance_days]").fill("3")
        form.locator("button[type=submit]").click()
        page.wait_for_selector(".message-success")
        assert "Promesse de paiement" in page.inner_text(".messages")
        browser.close()

    letter.refresh_from_db()
    assert (letter.status, letter.sent_on, letter.sent_by) == (
        ReminderStatus.SENT,
        today,
        collector,
    )
    promise = PromiseToPay.objects.get(customer=customer)
    # 780.00 promised a week from today, due by 3 days after.
    assert (promise.amount, promise.promised_on, promise.due_by) == (
        780,
        promised_on,
        promised_on + dt.timedelta(days=3),
    )
    assert Reminder.objects.filter(customer=customer, status=ReminderStatus.SENT).count() == 2
