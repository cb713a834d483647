"""What each role sees: an action (link, form, button) only when its role may do it, and a
page that is only a form refused (403, in the layout) before the form is shown.

The rights come from `companies.permissions.ROLE_PERMISSIONS`, the map the services check.
Every link and form of the main pages is resolved to its view, whose declared right
(`company_view(needs=...)`) the role must hold; each page also lists by hand the rights
of the actions it offers, so that a role holding one of them sees it (a page that hid
everything would fail).

Data through the services: the pre-litigation debtor of tests/dunning/litigation_data.py
(two invoices issued on 2 January 2025, reminded up to the formal notice, a case opened on
15 March 2025), and the conftest's customer with an invoice of 780.00 TTC issued on
1 March 2025 at 30 days net (due 31 March), reminded at level 1 on 1 April and proposed
level 2 on 15 April, a dispute on it, a draft and an unallocated payment of 100.00.
"""

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve, reverse
from freezegun import freeze_time

from encaisse.collection.disputes import open_dispute
from encaisse.companies.models import Role
from encaisse.companies.permissions import (
    ALLOCATE,
    COLLECT,
    EDIT_CATALOG,
    EDIT_COMPANY,
    EDIT_CUSTOMERS,
    EDIT_INVOICES,
    EXPORT_LEDGER,
    ISSUE_CREDIT_NOTES,
    ISSUE_INVOICES,
    MANAGE_BANK_ACCOUNTS,
    MANAGE_JOBS,
    RECONCILE_BANK,
    RECORD_PAYMENTS,
    ROLE_PERMISSIONS,
    SEND_STATEMENTS,
)
from encaisse.customers.services import add_contact
from encaisse.dunning import litigation
from encaisse.dunning.models import ReminderStatus
from encaisse.dunning.run import run_dunning
from encaisse.receivables.models import Allocation
from tests.conftest import archived
from tests.dunning.litigation_data import OPENED, make_debtor, make_invoices, remind

pytestmark = pytest.mark.django_db

ROLES = list(Role.values)
# The header's forms, on every page and for every role.
HEADER = {"web:logout", "web:switch_company"}
# The pickers' searches (htmx GETs) read what the page already shows anyone.
SEARCHES = {"web:customer_search", "web:product_search"}


class Actions(HTMLParser):
    """The targets of a page's links, forms (POST and GET) and htmx requests."""

    def __init__(self, page_url):
        super().__init__()
        self.page_url = page_url
        self.links, self.posts, self.fields = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.posts.append(attrs.get("action") or self.page_url)
        for name in ("hx-post", "hx-get"):
            if attrs.get(name):
                self.posts.append(attrs[name])


def actions(html: str, page_url: str) -> Actions:
    parser = Actions(page_url)
    parser.feed(html)
    return parser


def view_of(url: str):
    """(url name, view) of an internal URL, or None (anchors, static files, elsewhere, and
    the Django admin, which staff status guards rather than the company's roles: the
    missing-rates warning links there)."""
    parts = urlsplit(url)
    if (
        parts.netloc
        or not parts.path.startswith("/")
        or parts.path.startswith(("/static/", "/admin/"))
    ):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    return match.view_name, match.func


@pytest.fixture
def world(company, admin, make_user, customer, make_invoice, product, service_product, pay):
    debtor = make_debtor(company, admin)
    make_invoices(debtor, make_invoice, product, service_product, pay, admin)
    remind(company, admin)
    case = litigation.open_case(debtor, OPENED, by=admin)
    issued = make_invoice(
        lines=[{"product": service_product.pk, "quantity": "10"}],
        issue_on=dt.date(2025, 3, 1),
        terms_kind="net",
        terms_days=30,
    )
    # Level 1 is sent by the run itself, on the run's day.
    add_contact(
        customer,
        {"name": "Compta", "email": "compta@dupont.fr", "is_billing_contact": True},
        by=admin,
    )
    with freeze_time("2025-04-01 09:00:00"):
        run_dunning(company, dt.date(2025, 4, 1), by=admin)
    with freeze_time("2025-04-15 09:00:00"):
        proposed = run_dunning(company, dt.date(2025, 4, 15), by=admin).proposed
    (reminder,) = [r for r in proposed if r.customer_id == customer.pk]
    assert reminder.status == ReminderStatus.PROPOSED
    dispute = open_dispute(
        company,
        {
            "invoice": issued.pk,
            "amount": "156.00",
            "category": "delivery",
            "customer_words": "Livré en retard.",
            "owner": admin.pk,
            "department": "logistics",
            "target_date": dt.date(2025, 5, 20),
            "opened_on": dt.date(2025, 4, 20),
        },
        by=admin,
    )
    users = {role: make_user(f"u-{role}", company, role) for role in ROLES}
    archived()  # the worker has rendered the issued documents: the pages as they stay
    return {
        "users": users,
        "customer": customer,
        "debtor": debtor,
        "product": product,
        "draft": make_invoice(),
        "issued": issued,
        "payment": pay("100.00", dt.date(2025, 4, 22)),
        "cheque": pay("50.00", dt.date(2025, 4, 23), method="cheque"),  # to remit
        "allocation": Allocation.objects.filter(company=company).first(),
        "reminder": reminder,
        "dispute": dispute,
        "case": case,
    }


def url_of(world, name, key=None):
    return reverse(name, args=[world[key].pk] if key else [])


# Pages shown to every role that are also a form to themselves: the right their form needs.
SELF_FORMS = {"web:remittances": RECORD_PAYMENTS, "web:company_settings": EDIT_COMPANY}
# The main pages, and the rights of the actions each offers (to whoever holds them).
MAIN_PAGES = {
    "home": ("web:home", None, {EDIT_INVOICES, EDIT_CUSTOMERS}),
    "customers": ("web:customers", None, {EDIT_CUSTOMERS}),
    "customer": ("web:customer_detail", "customer", {EDIT_CUSTOMERS, EDIT_INVOICES, COLLECT}),
    "statement": ("web:customer_statement", "customer", {SEND_STATEMENTS, RECORD_PAYMENTS}),
    "collection_file": ("web:collection_file", "debtor", {COLLECT}),
    "products": ("web:products", None, {EDIT_CATALOG}),
    "product": ("web:product_detail", "product", {EDIT_CATALOG}),
    "invoices": ("web:invoices", None, {EDIT_INVOICES, ISSUE_INVOICES}),
    "draft": ("web:invoice_detail", "draft", {EDIT_INVOICES}),
    "issued": (
        "web:invoice_detail",
        "issued",
        {ISSUE_CREDIT_NOTES, ISSUE_INVOICES, EDIT_CUSTOMERS, COLLECT, ALLOCATE},
    ),
    "payments": ("web:payments", None, {RECORD_PAYMENTS}),
    "payment": ("web:payment_detail", "payment", {ALLOCATE}),
    "remittances": ("web:remittances", None, {RECORD_PAYMENTS}),
    "reminders": ("web:reminders", None, {COLLECT}),
    "reminder": ("web:reminder_detail", "reminder", {COLLECT}),
    "desk": ("web:dunning_desk", None, set()),
    "scenarios": ("web:dunning_scenarios", None, {EDIT_COMPANY}),
    "disputes": ("web:disputes", None, {COLLECT}),
    "dispute": ("web:dispute_detail", "dispute", {COLLECT}),
    "promises": ("web:promises", None, set()),
    "litigation": ("web:litigation", None, set()),
    "case": ("web:litigation_detail", "case", {COLLECT}),
    "company": ("web:company_settings", None, {EDIT_COMPANY}),
    "credit": ("web:credit_positions", None, set()),
    "outbox": ("web:outbox", None, set()),
    # import lane
    "bank_statements": ("web:bank_statements", None, {RECONCILE_BANK}),
    "bank_accounts": ("web:bank_accounts", None, {MANAGE_BANK_ACCOUNTS}),
}


def rights_shown(world, client, page) -> tuple[set, list]:
    """The rights needed by the actions of `page` as rendered, and the dynamic links
    (views without a declared right) to open and check."""
    name, key, _ = MAIN_PAGES[page]
    url = url_of(world, name, key)
    response = client.get(url)
    assert response.status_code == 200, (page, response.status_code)
    found = actions(response.content.decode(), url)
    needed, unchecked = set(), []
    for target in [*found.links, *found.posts]:
        view = view_of(target)
        if view is None or view[0] in HEADER:
            continue
        if view[1].needs is not None:
            needed.add(view[1].needs)
        elif target in found.posts and view[0] in SELF_FORMS:
            needed.add(SELF_FORMS[view[0]])
        elif target in found.links:
            unchecked.append(target)
    return needed, unchecked, found


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_the_actions_it_may_use_and_no_other(world, client_of, role):
    client = client_of(world["users"][role])
    allowed = ROLE_PERMISSIONS[role]
    for page, (_name, _key, offered) in MAIN_PAGES.items():
        needed, unchecked, found = rights_shown(world, client, page)
        assert needed <= allowed, (page, needed - allowed)
        assert offered & allowed <= needed, (page, offered & allowed - needed)
        if role == Role.READ_ONLY:  # posts nothing but the header's switch and logout
            assert {view_of(p)[0] for p in found.posts} <= HEADER | SEARCHES, page
        # Links whose right depends on the record (issuing an invoice or a credit note):
        # opened, they do not refuse.
        for link in unchecked:
            assert client.get(link).status_code != 403, (page, link)


def test_company_settings_read_only_shows_text_not_inputs(world, client_of, company):
    html = client_of(world["users"][Role.ACCOUNTING]).get(reverse("web:company_settings"))
    html = html.content.decode()
    assert company.legal_name in html and company.siren in html
    assert not re.search(r"<(input|select|textarea)\b", html.split("</header>")[1])
    assert "Seul un administrateur de la société peut modifier ces informations." in html
    admin_html = client_of(world["users"][Role.ADMIN]).get(reverse("web:company_settings"))
    assert 'name="legal_name"' in admin_html.content.decode()


# Pages that are only a form: (url name, record, the right they need).
FORM_PAGES = [
    ("web:customer_create", None, EDIT_CUSTOMERS),
    ("web:customer_edit", "customer", EDIT_CUSTOMERS),
    ("web:product_create", None, EDIT_CATALOG),
    ("web:product_edit", "product", EDIT_CATALOG),
    ("web:invoice_create", None, EDIT_INVOICES),
    ("web:invoice_edit", "draft", EDIT_INVOICES),
    ("web:invoice_issue", "draft", ISSUE_INVOICES),
    ("web:invoice_delete", "draft", EDIT_INVOICES),
    ("web:credit_note_create", "issued", ISSUE_CREDIT_NOTES),
    ("web:invoice_send", "issued", ISSUE_INVOICES),
    ("web:dispute_create", "issued", EDIT_CUSTOMERS),
    ("web:payment_create", None, RECORD_PAYMENTS),
    ("web:payment_allocate", "payment", ALLOCATE),
    ("web:allocation_undo", "allocation", ALLOCATE),
    ("web:statement_send", "customer", SEND_STATEMENTS),
    ("web:promise_create", "customer", COLLECT),
    ("web:dunning_profile", "customer", COLLECT),
    ("web:dunning_scenario_create", None, EDIT_COMPANY),
    ("web:litigation_open", "customer", COLLECT),
    ("web:send_today", None, ISSUE_INVOICES),
    ("web:status_import", None, ISSUE_INVOICES),
    ("web:fec", None, EXPORT_LEDGER),
    ("web:jobs", None, MANAGE_JOBS),
    ("web:bank_account_create", None, MANAGE_BANK_ACCOUNTS),  # import lane
]


@pytest.mark.parametrize("role", ROLES)
def test_form_pages_refuse_before_the_form(world, client_of, role):
    client = client_of(world["users"][role])
    for name, key, right in FORM_PAGES:
        url = url_of(world, name, key)
        response = client.get(url)
        if right in ROLE_PERMISSIONS[role]:
            assert response.status_code in (200, 302), (name, response.status_code)
            continue
        assert response.status_code == 403, name
        html = response.content.decode()
        assert "<h1>Accès refusé</h1>" in html, name
        assert f"Votre rôle ({Role(role).label}) ne permet pas" in html, name
        # In the layout (navigation), with no form but the header's.
        assert 'id="sidenav"' in html, name
        assert {view_of(p)[0] for p in actions(html, url).posts} <= HEADER | SEARCHES, name


def test_the_template_helper_refuses_an_unknown_right(rf, world):
    from django.template import Context, Template

    from encaisse.web.context_processors import Allowed, UnknownAction

    may = Allowed(Role.SALES)
    assert Template("{% if may.edit_invoices %}oui{% endif %}").render(Context({"may": may}))
    assert not Template("{% if may.allocate %}oui{% endif %}").render(Context({"may": may}))
    with pytest.raises(UnknownAction):
        Template("{% if may.edit_invoice %}oui{% endif %}").render(Context({"may": may}))


def test_templates_only_name_rights_that_exist():
    """`{% if may.x and ... %}` swallows errors: every name used is checked here."""
    from pathlib import Path

    import encaisse.web
    from encaisse.web.context_processors import ACTION_NAMES

    used = set()
    for path in Path(encaisse.web.__file__).parent.joinpath("templates").rglob("*.html"):
        used |= set(re.findall(r"\bmay\.(\w+)", path.read_text(encoding="utf-8")))
    assert {"edit_customers", "collect", "edit_company"} <= used
    assert sorted(used - ACTION_NAMES.keys()) == []
