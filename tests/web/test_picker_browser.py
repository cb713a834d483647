"""The pickers in a real browser (headless Chromium through Playwright), at desktop
width and at 390 px: typing lists the matches, the arrow keys and Enter choose one (the
form is not submitted), the chosen product fills its invoice line. Skipped without
Playwright or Chromium (as test_dunning_browser.py)."""

import os

import pytest

from tests.web.browser import PASSWORD, launch, needs_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [needs_chromium, pytest.mark.django_db]
SCREENSHOTS = os.environ.get("PICKER_SCREENSHOTS")  # a folder: the screenshots kept there


@pytest.mark.parametrize("width", [1280, 390])
def test_choose_a_customer_and_a_product_with_the_keyboard(
    live_url, admin, customer, product, width
):
    customer_pk, product_label = str(customer.pk), product.label  # no ORM while it runs
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.set_default_timeout(20_000)
        page.goto(f"{live_url}/login/")
        page.fill("input[name=username]", admin.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("h1")
        page.goto(f"{live_url}/invoices/new/")
        picker = page.locator("#id_customer")
        picker.press_sequentially("boulang", delay=30)
        page.wait_for_selector("#id_customer-options.open [role=option]")
        page.wait_for_timeout(500)  # the last keystroke's search answered
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/customer-picker-{width}.png")
        assert picker.get_attribute("aria-expanded") == "true"
        picker.press("ArrowDown")
        assert picker.get_attribute("aria-activedescendant") == "id_customer-options-0"
        picker.press("Enter")
        assert page.url.endswith("/invoices/new/")  # chosen, not submitted
        assert picker.input_value() == "Boulangerie Dupont SARL"
        assert page.locator("input[name=customer]").input_value() == customer_pk
        assert not page.is_visible("#id_customer-options")
        # Typing again forgets the choice until another is made.
        picker.press("Backspace")
        assert page.locator("input[name=customer]").input_value() == ""
        # A product in the first line: its designation and price come from the catalog.
        line = page.locator("input[name=lines-1-product_label]")
        line.press_sequentially("farine", delay=30)
        page.wait_for_selector("#line-1-products.open [role=option]")
        page.wait_for_timeout(500)
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/product-picker-{width}.png")
        line.press("ArrowDown")
        line.press("Enter")
        page.wait_for_function(
            "() => document.querySelector('input[name=lines-1-description]').value !== ''"
        )
        assert page.locator("input[name=lines-1-description]").input_value() == product_label
        assert page.locator("input[name=lines-1-unit_price]").input_value() == "18,90"
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        browser.close()
    assert scroll <= inner or width > 390
