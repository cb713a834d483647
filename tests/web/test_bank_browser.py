"""The banking pages of the import lane in headless Chromium, at 390 and 1280 px, as an
admin and as a read-only user: a statement imported through the form (the summary with its
gap), nothing wider than the window. Screenshots go to $ENCAISSE_SCREENSHOTS when set.

Skipped when Playwright or Chromium is missing (as test_phone_browser.py).
"""

import os
from pathlib import Path

import pytest
from django.urls import reverse

from encaisse.banking import formats
from encaisse.banking.models import BankLine
from encaisse.companies.models import Role
from tests.banking.factories import day, line, make_sg_account, statement
from tests.web.browser import PASSWORD, launch, needs_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [needs_chromium, pytest.mark.django_db]
SHOTS = os.environ.get("ENCAISSE_SCREENSHOTS")
LONG = "VIR SEPA " + "BOULANGERIEPATISSERIEDUPONTETFILS" * 4 + " FA2024-00012 FA2024-00013"


def statements():
    first = statement(
        [
            line(
                "1500.00",
                day(12),
                LONG,
                counterparty_name="Boulangerie Dupont",
                counterparty_iban="FR7610278012340001234567873",
                value_date=day(12),
            ),
            line("-12.50", day(13), "CB CARREFOUR 12/01"),
            line("-617.14", day(13), "PRLV SEPA ORANGE", remittance_info="Facture: 76662391"),
        ],
        "1017311.89",
        day(12),
        day(13),
        reference="2024-001",
    )
    second = statement(
        [line("250.00", day(15), "VIR MARTIN")],
        "1018194.59",
        day(15),
        day(15),
        reference="2024-002",
    )
    return [first, second]


def login(page, live_url, user):
    page.goto(f"{live_url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


def test_bank_pages_in_a_browser(live_url, company, admin, make_user, monkeypatch, tmp_path):
    monkeypatch.setattr(formats, "parse", lambda data: statements())
    account = make_sg_account(company, admin)
    reader = make_user("lecteur", company, Role.READ_ONLY)
    upload = tmp_path / "releve-janvier.xml"
    upload.write_bytes(b"<Document/>")
    shots = Path(SHOTS) if SHOTS else None
    too_wide = {}
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        # The admin imports the file through the form.
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        login(page, live_url, admin)
        page.goto(live_url + reverse("web:bank_statements"))
        page.set_input_files("input[name=file]", str(upload))
        page.select_option("select[name=account]", str(account.pk))
        page.click("text=Importer >> nth=-1")
        page.wait_for_selector("h1:has-text('Import du fichier')")
        assert "4 lignes importées" in page.inner_text(".messages")
        assert page.locator(".gap").count() == 1
        file_url = page.url.removeprefix(live_url)
        page.close()
        urls = {
            "statements": reverse("web:bank_statements"),
            "file": file_url,
            "accounts": reverse("web:bank_accounts"),
        }
        for who, user in (("admin", admin), ("lecture", reader)):
            for width in (390, 1280):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.set_default_timeout(20_000)
                login(page, live_url, user)
                page.goto(live_url + urls["statements"])
                statement_url = page.locator(
                    "table a[href^='/bank/statements/']"
                ).first.get_attribute("href")
                pages = {**urls, "statement": statement_url}
                if who == "admin":
                    pages["account_form"] = reverse("web:bank_account_edit", args=[account.pk])
                for name, url in pages.items():
                    page.goto(live_url + url)
                    scroll, inner = page.evaluate(
                        "[document.documentElement.scrollWidth, window.innerWidth]"
                    )
                    if scroll > inner:
                        too_wide[(who, width, name)] = scroll
                    if shots:
                        page.screenshot(
                            path=str(shots / f"{name}-{who}-{width}.png"), full_page=True
                        )
                if who == "lecture":
                    page.goto(live_url + urls["statements"])
                    assert page.locator("input[name=file]").count() == 0
                page.close()
        browser.close()
    assert too_wide == {}
    assert BankLine.objects.count() == 4
