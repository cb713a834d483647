"""The main pages at phone width (390 px) and at 1280 px in a real browser (headless
Chromium through Playwright): nothing widens the page (a table scrolls inside its box, a
200-character customer name wraps or is cut), and on the phone the navigation is folded
behind the header's "Menu" button.

Skipped when Playwright or Chromium is missing (as test_dunning_browser.py).
"""

import datetime as dt

import pytest
from django.urls import reverse

from encaisse.collection.disputes import open_dispute
from encaisse.customers.services import create_customer
from tests.web.browser import PASSWORD, launch, needs_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [needs_chromium, pytest.mark.django_db]
# The longest names the database takes: words, and one unbroken 200-character word.
LONG_WORDS = (
    "Société Coopérative Artisanale des Boulangers Pâtissiers Chocolatiers Glaciers et "
    "Traiteurs Réunis de la Vallée de la Loire et des Pays de l'Ouest Atlantique pour la "
    "Promotion du Pain au Levain Naturel SCOP"
)[:200]
LONG_WORD = "Boulangerie" + "X" * 189
ADDRESS = {
    "billing_line1": "1 rue du Four",
    "billing_postal_code": "49000",
    "billing_city": "Angers",
}


@pytest.fixture
def pages(company, admin, make_invoice, product, pay):
    """The main pages' URLs, with long-named customers in every list."""
    assert len(LONG_WORDS) == len(LONG_WORD) == 200
    words = create_customer(
        company, {**ADDRESS, "legal_name": LONG_WORDS, "siren": "383474814"}, by=admin
    )
    word = create_customer(company, {**ADDRESS, "legal_name": LONG_WORD}, by=admin)
    issued = make_invoice(issue_on=dt.date(2025, 3, 3), cust=words)
    draft = make_invoice(cust=word)
    payment = pay("100.00", dt.date(2025, 3, 10), cust=word)
    dispute = open_dispute(
        company,
        {
            "invoice": issued.pk,
            "amount": "10.00",
            "category": "delivery",
            "customer_words": "Livré en retard.",
            "owner": admin.pk,
            "department": "logistics",
            "target_date": dt.date(2025, 4, 20),
            "opened_on": dt.date(2025, 3, 20),
        },
        by=admin,
    )
    named = [
        ("web:home", []),
        ("web:customers", []),
        ("web:customer_detail", [word.pk]),
        ("web:customer_detail", [words.pk]),
        ("web:customer_statement", [word.pk]),
        ("web:collection_file", [word.pk]),
        ("web:customer_edit", [word.pk]),
        ("web:products", []),
        ("web:product_detail", [product.pk]),
        ("web:invoices", []),
        ("web:invoice_create", []),
        ("web:invoice_detail", [issued.pk]),
        ("web:invoice_detail", [draft.pk]),
        ("web:invoice_edit", [draft.pk]),
        ("web:payments", []),
        ("web:payment_create", []),
        ("web:payment_detail", [payment.pk]),
        ("web:disputes", []),
        ("web:dispute_detail", [dispute.pk]),
        ("web:reminders", []),
        ("web:dunning_desk", []),
        ("web:litigation", []),
        ("web:credit_positions", []),
        ("web:aged_balance", []),
        ("web:dso", []),
        ("web:bank_reconciliation", []),
        ("web:bank_reconciliations", []),
        ("web:cash", []),
        ("web:outbox", []),
        ("web:company_settings", []),
    ]
    return [reverse(name, args=args) for name, args in named] + ["/no-such-page/"]


def test_no_page_is_wider_than_a_phone_and_the_menu_folds(live_url, admin, pages):
    # No ORM call while Playwright runs (see test_dunning_browser.py).
    too_wide = {}
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        for width in (390, 1280):
            page = browser.new_page(viewport={"width": width, "height": 844})
            page.set_default_timeout(20_000)
            page.goto(f"{live_url}/login/")
            page.fill("input[name=username]", admin.username)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("h1")
            for url in pages:
                page.goto(live_url + url)
                scroll, inner = page.evaluate(
                    "[document.documentElement.scrollWidth, window.innerWidth]"
                )
                if scroll > inner:
                    too_wide[(width, url)] = scroll
            if width == 390:
                page.goto(f"{live_url}{pages[1]}")
                assert not page.is_visible("#sidenav")
                page.click(".menu-toggle")
                assert page.is_visible("#sidenav >> text=Règlements")
                assert page.get_attribute(".menu-toggle", "aria-expanded") == "true"
                # The long name in the list is cut on one line, whole in its title.
                cut = page.locator(f'a.cut[title="{LONG_WORD}"]')
                assert cut.inner_text() == LONG_WORD
                assert cut.evaluate("e => e.scrollWidth > e.clientWidth")
            else:
                assert page.is_visible("#sidenav") and not page.is_visible(".menu-toggle")
            page.close()
        browser.close()
    assert too_wide == {}
