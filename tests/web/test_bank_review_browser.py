"""The bank review screen in a real browser (headless Chromium through Playwright):
a CAMT.053 statement imported through the « Relevés » page, the engine run from the
screen (« Relancer le rapprochement »), then the proposal accepted with the keyboard
(« a »): the invoice is paid. Then the screen as it looks at 1280 and 390 px, for an
admin and a read-only user (screenshots kept in $BANK_REVIEW_SCREENSHOTS, if set).
Skipped without Playwright or Chromium (as test_picker_browser.py).

The statement: the company's account (its IBAN, made its first bank account), 20 March
2025, a credit of 780.00 « VIR SEPA DUPONT FACTURE », with neither an invoice number nor
the payer's name, which the engine only proposes (montant égal, seul document ouvert de
ce montant...) for the invoice of 780.00 issued on 1 March, and a debit of 12.50 of bank
fees. (The import queues the engine itself; the button queues it again, harmlessly.)
"""

import datetime as dt
import os
from decimal import Decimal

import pytest

from encaisse.companies.models import Role
from encaisse.jobs.runner import run_pending_jobs
from encaisse.receivables.models import Installment
from tests.web.browser import PASSWORD, launch, needs_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [needs_chromium, pytest.mark.django_db]
SCREENSHOTS = os.environ.get("BANK_REVIEW_SCREENSHOTS")

CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt>
<GrpHdr><MsgId>MSG1</MsgId><CreDtTm>2025-03-21T08:00:00</CreDtTm></GrpHdr>
<Stmt>
<Id>STMT-2025-03-20</Id><CreDtTm>2025-03-21T08:00:00</CreDtTm>
<Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-19</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1767.50</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-20</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">780.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2025-03-20</Dt></BookgDt><ValDt><Dt>2025-03-20</Dt></ValDt>
<AcctSvcrRef>REF1</AcctSvcrRef><NtryDtls><TxDtls>
<RmtInf><Ustrd>VIR SEPA DUPONT FACTURE</Ustrd></RmtInf></TxDtls>
</NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">12.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2025-03-20</Dt></BookgDt><ValDt><Dt>2025-03-20</Dt></ValDt>
<AcctSvcrRef>REF2</AcctSvcrRef><AddtlNtryInf>FRAIS TENUE DE COMPTE</AddtlNtryInf></Ntry>
</Stmt>
</BkToCstmrStmt>
</Document>
"""


def login(page, live_url, username):
    page.goto(f"{live_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


def shoot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def overflow(page) -> bool:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    return scroll > inner


def test_import_a_file_and_accept_a_proposal_with_the_keyboard(
    live_url, admin, company, invoice_of
):
    invoice = invoice_of(10, dt.date(2025, 3, 1))  # 780.00 TTC
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        login(page, live_url, admin.username)
        # The import page: the file, the company's account (first in the list).
        page.goto(f"{live_url}/bank/statements/")
        page.set_input_files(
            "input[name=file]",
            {"name": "releve.xml", "mimeType": "text/xml", "buffer": CAMT.encode()},
        )
        page.click("form[enctype] button[type=submit]")
        page.wait_for_selector("text=releve.xml")
        # The review screen: the engine queued as a job.
        page.goto(f"{live_url}/bank/review/")
        page.click("text=Relancer le rapprochement")
        page.wait_for_selector(".job-progress")
        browser.close()
    # The job run here, as the worker would, with no browser (nor its event loop) about.
    assert run_pending_jobs() >= 1
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        login(page, live_url, admin.username)
        page.goto(f"{live_url}/bank/review/")
        page.wait_for_selector("tr.selected")
        assert "montant égal" in page.inner_text("#panel")
        shoot(page, "review-admin-1280")
        # The keyboard: « ? » shows the shortcuts, j/k move, « a » accepts the best.
        page.keyboard.press("?")
        assert page.is_visible(".review-help-box")
        shoot(page, "review-help-1280")
        page.keyboard.press("Escape")
        # Moving opens the line: the panel is the selected line's.
        page.keyboard.press("j")
        page.wait_for_selector("#panel >> text=FRAIS TENUE DE COMPTE")
        assert "FRAIS TENUE DE COMPTE" in page.inner_text("tr.selected")
        page.keyboard.press("k")
        page.wait_for_selector("#panel .candidate")
        assert "VIR SEPA DUPONT FACTURE" in page.inner_text("tr.selected")
        page.keyboard.press("a")
        page.wait_for_selector("text=rapprochée.")
        # The next line (the fees) is open, with its actions; the list has one line left.
        assert "FRAIS TENUE DE COMPTE" in page.inner_text("#panel")
        assert page.locator("tr[data-line]").count() == 1
        page.keyboard.press("c")
        assert page.evaluate("document.activeElement.name") == "account"
        shoot(page, "review-after-accept-1280")
        browser.close()
    assert sum(i.open_amount for i in Installment.objects.filter(invoice=invoice)) == Decimal(
        "0.00"
    )


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("role", [Role.ADMIN, Role.READ_ONLY])
def test_the_screen_at_desktop_and_phone_width(
    live_url, admin, company, make_user, invoice_of, width, role
):
    from tests.web.test_bank_review import FIRST, SECOND, proposed

    invoice_of(10, dt.date(2025, 3, 1))
    invoice_of(5, dt.date(2025, 3, 1))
    proposed(
        company,
        admin,
        [
            ("780.00", FIRST, {"counterparty_name": "BOULANGERIE DUPONT SARL"}),
            ("390.00", SECOND),
            ("-12.50", "PRLV SEPA FRAIS TENUE DE COMPTE ET COMMISSIONS DIVERSES DU MOIS DE MARS"),
        ],
    )
    user = admin if role == Role.ADMIN else make_user("lecteur", company, role)
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.set_default_timeout(20_000)
        login(page, live_url, user.username)
        page.goto(f"{live_url}/bank/review/")
        page.wait_for_selector("#panel")
        rest = None
        if role == Role.ADMIN:  # « s »: the split form, what is left shown as one types
            page.keyboard.press("s")
            assert page.evaluate("document.activeElement.name") == "what-1"
            page.fill("input[name=amount-1]", "500,50")
            rest = page.inner_text("[data-split-rest]")
            shoot(page, f"review-{role}-{width}")
            # « / »: another invoice, searched by the customer's name (the picker).
            page.keyboard.press("Escape")
            page.keyboard.press("/")
            page.keyboard.type("dupont", delay=30)
            page.wait_for_selector("[data-form=search] [role=listbox].open [role=option]")
            page.wait_for_timeout(300)
            shoot(page, f"review-search-{width}")
            options = page.locator("[data-form=search] [role=option]").count()
        else:
            shoot(page, f"review-{role}-{width}")
        buttons = page.locator("#panel button").count()
        wide = overflow(page)
        browser.close()
    assert not wide
    assert (buttons > 0) == (role == Role.ADMIN)
    if role == Role.ADMIN:  # 780.00 - 500.50, as the browser writes euros in French
        assert options == 2  # the two open invoices of Boulangerie Dupont SARL
        assert rest.replace("\u202f", " ").replace("\xa0", " ") == "279,50 €"
