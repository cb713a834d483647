"""« État de rapprochement » and « Trésorerie » in headless Chromium at 1280 and 390 px,
as an admin and as a read-only user: nothing wider than the screen, the validation
button only for the admin. Screenshots go to $ENCAISSE_SCREENSHOTS when set (looked at
by hand; not compared)."""

import datetime as dt
import os
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.urls import reverse

from encaisse.companies.models import Role
from tests.banking import factories_report as bank
from tests.banking.test_reconciliation_report import OCT
from tests.banking.test_reconciliation_report import book as book
from tests.web.browser import PASSWORD, launch, needs_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [needs_chromium, pytest.mark.django_db]


@pytest.fixture
def pages(book, company, invoice_of, pay):
    company.cash_alert_threshold = D("7000.00")
    company.save(update_fields=["cash_alert_threshold"])
    for n in range(28):  # a second page of receipts, and old items
        pay(f"{10 + n}.00", dt.date(2026, 9, 1) + dt.timedelta(days=n))
    invoice_of(10, dt.date(2026, 11, 20))
    long_name = bank.account(
        company, name="Compte de dépôt à terme " + "X" * 40, iban="FR7610107001011234567890129"
    )
    bank.statement(
        long_name,
        opening=(OCT[1], "5000.00"),
        closing=(OCT[31], "4990.00"),
        lines=[(OCT[30], "-10.00", "COMMISSION " + "Y" * 150)],
    )
    report = f"{reverse('web:bank_reconciliation')}?account={book['account'].pk}&as_of=2026-10-31"
    return {"reconciliation": report, "cash": reverse("web:cash"), "home": reverse("web:home")}


def test_pages_in_the_browser(live_url, admin, make_user, company, pages):
    reader = make_user("lecteur", company, Role.READ_ONLY)
    shots = os.environ.get("ENCAISSE_SCREENSHOTS")
    too_wide, seen = {}, {}
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        for user in (admin, reader):
            for width in (1280, 390):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.set_default_timeout(20_000)
                page.goto(f"{live_url}/login/")
                page.fill("input[name=username]", user.username)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_selector("h1")
                for name, url in pages.items():
                    page.goto(live_url + url)
                    scroll, inner = page.evaluate(
                        "[document.documentElement.scrollWidth, window.innerWidth]"
                    )
                    if scroll > inner:
                        too_wide[(user.username, width, name)] = scroll
                    seen[(user.username, width, name)] = page.content()
                    if shots:
                        Path(shots).mkdir(parents=True, exist_ok=True)
                        page.screenshot(
                            path=f"{shots}/{name}-{user.username}-{width}.png", full_page=True
                        )
                page.close()
        browser.close()
    assert too_wide == {}
    assert "Valider l'état au 31/10/2026" in seen[("admin", 1280, "reconciliation")]
    assert "Valider l'état" not in seen[("lecteur", 1280, "reconciliation")]
    assert "Trésorerie : le solde" in seen[("admin", 390, "home")]
