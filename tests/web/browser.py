"""What the browser tests share: headless Chromium through Playwright (neither is a
project dependency: the tests are skipped without them) and the test users' password."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PASSWORD = "motdepasse-test"  # tests/conftest.py's make_user
needs_chromium = pytest.mark.skipif(
    not shutil.which(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}"
)


def launch(playwright):
    return playwright.chromium.launch(executable_path=shutil.which(CHROMIUM), args=ARGS)
