"""/api/docs works without internet: Swagger UI's files come from the application."""

import json
import os
import re
import shutil
from urllib.parse import urlsplit

import pytest
from django.test import Client

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ASSET = re.compile(r'(?:src|href)="([^"]*)"')


@pytest.fixture
def docs(db):
    response = Client().get("/api/docs")
    assert response.status_code == 200
    return response.content.decode()


def test_docs_page_names_no_outside_host(docs):
    assets = ASSET.findall(docs)
    assert len(assets) == 5, assets  # css, two icons, two scripts
    for url in assets:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/static/"), url
    assert "http" not in docs and "//" not in docs.replace("://", "")


def test_docs_assets_are_served(docs):
    client = Client()
    for url in ASSET.findall(docs):
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 100, url
    bundle = client.get("/static/ninja/swagger-ui-bundle.js")
    assert bundle["Content-Type"].startswith(("text/javascript", "application/javascript"))


def test_no_online_validator(docs):
    settings_json = re.search(r'id="swagger-settings">(.*?)</script>', docs, re.S).group(1)
    swagger = json.loads(settings_json)
    assert swagger["validatorUrl"] is None  # Swagger UI's default posts to an outside host
    assert swagger["url"] == "/api/openapi.json"


@pytest.fixture
def live_url():
    """The application on a local port (the docs page and the schema need no database)."""
    from django.test.testcases import LiveServerThread, _StaticFilesHandler

    server = LiveServerThread("127.0.0.1", _StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://127.0.0.1:{server.port}"
    server.terminate()


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}")
def test_docs_render_in_a_browser_cut_from_the_internet(live_url):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    outside = []

    def only_local(route):
        if route.request.url.startswith(live_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.route("**/*", only_local)
        page.goto(f"{live_url}/api/docs")
        page.wait_for_selector(".opblock-tag-section", timeout=20_000)
        title = page.inner_text(".info .title")
        operations = page.locator(".opblock-tag-section").count()
        browser.close()
    assert "encaisse API" in title
    assert operations >= 10  # one section per tag: clients, factures, règlements...
    assert outside == []
