"""`encaisse demo`: loads a believable, valid and reproducible year of business once."""

import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from schwifty import IBAN
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

from encaisse.audit.models import AuditEntry
from encaisse.catalog.models import Product
from encaisse.companies.models import Company, Membership, Role
from encaisse.customers.models import Contact, Customer
from encaisse.demo import builder
from encaisse.documents import archive, validation
from encaisse.documents.jobs import RENDER
from encaisse.documents.models import ArchivedDocument
from encaisse.jobs.models import Job, JobState
from encaisse.jobs.runner import run_pending_jobs
from encaisse.receivables.models import Payment
from encaisse.sales.models import DocumentKind, DocumentStatus, Invoice, InvoiceLine

CENT = Decimal("0.01")


def r2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def expected_totals(lines) -> tuple[Decimal, Decimal]:
    """EN 16931, recomputed here without the application's code: line net =
    round(qty × price) − round(that × discount %); VAT per rate on the sum of bases."""
    bases: dict[tuple, Decimal] = defaultdict(Decimal)
    for line in lines:
        gross = r2(line.quantity * line.unit_price)
        net = gross - r2(gross * line.discount_percent / 100)
        assert line.net_amount == net, line
        bases[(line.vat_exemption or "S", line.vat_rate)] += net
    excl = sum(bases.values(), Decimal(0))
    vat = sum((r2(base * rate / 100) for (_, rate), base in bases.items()), Decimal(0))
    return excl, vat


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Company, Customer, Contact, Product, Invoice, InvoiceLine, Payment)
    } | {"audit": AuditEntry.objects.count(), "users": get_user_model().objects.count()}


def test_generated_identifiers_are_valid():
    rng = random.Random(1)
    for _ in range(200):
        siren = builder.make_siren(rng)
        assert fr_siren.is_valid(siren)
        assert fr_siret.is_valid(builder.make_siret(siren, rng))
        assert eu_vat.is_valid(builder.belgian_vat(rng))
        assert eu_vat.is_valid(builder.german_vat(rng))
    assert fr_siren.is_valid(builder.make_siren(rng, "2"))
    IBAN(builder.french_iban("30004", "02837", "00020418503"))  # raises if invalid


@pytest.mark.django_db
def test_demo_loads_a_valid_year_once():
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000" in text
    for username in ("admin", "commercial", "comptable", "recouvrement", "lecture"):
        assert username in text

    company = Company.objects.get()
    assert company.legal_form == "SAS" and company.share_capital and company.rcs_city
    assert fr_siren.is_valid(company.siren)
    assert fr_siret.is_valid(company.siret) and company.siret.startswith(company.siren)
    assert eu_vat.is_valid(company.vat_number) and company.vat_number.endswith(company.siren)
    assert company.einvoicing_address == company.siren
    IBAN(company.iban)
    from encaisse.banking.models import BankAccount

    (account,) = BankAccount.objects.filter(company=company)
    assert (account.iban, account.bic, account.journal, account.ledger_account) == (
        company.iban,
        company.bic,
        "BQ",
        "512",
    )
    assert company.address_line1 and company.postal_code and company.city

    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert set(roles.values()) == set(Role.values)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("demo1234")
    assert roles["admin"] == Role.ADMIN

    customers = list(Customer.objects.filter(company=company))
    assert 35 <= len(customers) <= 45
    consumers = [c for c in customers if not c.is_professional]
    foreign = [c for c in customers if c.billing_country != "FR"]
    assert 2 <= len(consumers) <= 6 and 1 <= len(foreign) <= 3
    assert sum(1 for c in customers if c.delivery_address) >= 3
    assert {(c.terms_kind, c.terms_days) for c in customers} >= {
        ("net", 30),
        ("eom", 45),
        ("net", 60),
        ("receipt", None),
    }
    for c in customers:
        assert c.contacts.filter(is_billing_contact=True).count() == 1, c
        assert c.billing_line1 and c.billing_postal_code and c.billing_city, c
        if c in consumers:
            assert not (c.siren or c.siret or c.vat_number)
        elif c in foreign:
            assert eu_vat.is_valid(c.vat_number) and c.vat_number[:2] == c.billing_country
        else:
            assert fr_siren.is_valid(c.siren), c
            assert fr_siret.is_valid(c.siret) and c.siret.startswith(c.siren), c
            if c.vat_number:
                assert eu_vat.is_valid(c.vat_number) and c.vat_number.endswith(c.siren), c
    assert len({c.siren for c in customers if c.siren}) == len(customers) - len(consumers) - len(
        foreign
    )

    products = Product.objects.filter(company=company)
    assert 20 <= products.count() <= 30
    assert {p.vat_rate for p in products} == {
        Decimal("20.00"),
        Decimal("10.00"),
        Decimal("5.50"),
        Decimal("0.00"),
    }
    assert products.filter(vat_rate=0, vat_exemption="E").exclude(vat_exemption_reason="").exists()

    documents = Invoice.objects.filter(company=company)
    issued = documents.filter(status=DocumentStatus.ISSUED).prefetch_related("lines")
    invoices = [d for d in issued if d.kind == DocumentKind.INVOICE]
    notes = [d for d in issued if d.kind == DocumentKind.CREDIT_NOTE]
    assert 280 <= len(invoices) <= 320
    assert 8 <= len(notes) <= 12
    assert 3 <= documents.filter(status=DocumentStatus.DRAFT).count() <= 10
    dates = sorted(d.issue_date for d in invoices)
    assert (dates[-1] - dates[0]).days >= 330

    # Numbering: 1..n with no gap per series and year, in date order.
    series = defaultdict(list)
    for d in issued:
        series[(d.kind, d.sequence_year)].append(d)
    for docs in series.values():
        docs.sort(key=lambda d: d.sequence_number)
        assert [d.sequence_number for d in docs] == list(range(1, len(docs) + 1))
        assert [d.issue_date for d in docs] == sorted(d.issue_date for d in docs)
        assert all(d.issue_date.year == d.sequence_year for d in docs)
    assert len({d.number for d in issued}) == len(issued)

    # Totals from the lines, and some variety in them.
    line_counts = set()
    for d in issued:
        lines = list(d.lines.all())
        line_counts.add(len(lines))
        excl, vat = expected_totals(lines)
        assert d.allowances.count() == 0
        assert (d.total_excl_vat, d.total_vat, d.total_incl_vat) == (excl, vat, excl + vat), d
    assert min(line_counts) == 1 and max(line_counts) <= 6
    all_lines = InvoiceLine.objects.filter(invoice__in=invoices)
    assert all_lines.filter(discount_percent__gt=0).exists()
    assert all_lines.filter(product__isnull=True).exists()
    for note in notes:
        assert note.credited_invoice.issue_date <= note.issue_date
        assert note.mentions["credited_invoice"]["number"] == note.credited_invoice.number
    assert Payment.objects.filter(company=company).count() > 100

    # Nothing was rendered while loading: every issued document waits for the worker,
    # its render job queued (make run starts the worker that renders them after).
    assert not ArchivedDocument.objects.exists()
    renders = Job.objects.filter(name=RENDER, state=JobState.QUEUED, company=company)
    assert renders.count() == len(issued)
    assert "documents (PDF, Factur-X, UBL) en file de génération" in text
    report = archive.verify_archive(company)
    assert report.ok and len(report.chains[0].pending) == len(issued)
    assert run_pending_jobs() == len(issued)  # the worker's part

    # Every issued document of the demo, as stored in the archive by its render job, is a
    # valid e-invoice: the Factur-X PDF (its embedded CII) and the UBL pass the XSD, the
    # EN 16931 schematron and the French CTC rules (the checks of `validate-einvoice`).
    failures = {}
    for d in issued:
        for format in ("pdf", "ubl"):
            report = validation.validate(archive.read(d, format))
            if not report.ok:
                failures[(d.number, format)] = [str(f) for f in report.fatal]
    assert failures == {}
    assert archive.verify_archive(company).ok

    # Again: nothing created, the logins printed.
    before = counts()
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "demo1234" in out.getvalue()
    # `make run HOST=...` passes the address it serves.
    call_command("demo", "--if-empty", "--url", "http://192.0.2.7:8080/", stdout=out)
    assert "Ouvrez http://192.0.2.7:8080/ et connectez-vous" in out.getvalue()
    call_command("demo", stdout=out)
    assert "déjà" in out.getvalue()
    assert counts() == before
