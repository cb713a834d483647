"""GET /api/customers/{id}/statement, /api/reports/aged-balance, /api/reports/dso and
/api/ledger/fec: figures computed by hand."""

import datetime as dt
import io

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook

from encaisse.companies.models import Role
from encaisse.customers.services import create_customer
from encaisse.ledger.fec import export_fec
from encaisse.receivables.services.allocation import allocate

from ..conftest import CUSTOMER
from ..ledger.test_fec import EXPECTED, customer_account_code
from ..ledger.test_fec import year_2025 as year_2025  # a fixture
from ..reporting.test_dso import quarter as quarter  # a fixture: the small year of DSO tests
from .conftest import ApiClient, assert_error


@pytest.fixture
def frozen():
    """`with frozen("2026-04-15"): ...`: today is that day."""
    return lambda day: freeze_time(f"{day} 10:00:00")


# Customer statement


@pytest.fixture
def account(invoice_of, pay, admin):
    """I1 5 Jan 780.00 due 4 Feb, paid 14 Feb (10 days late); I2 1 Mar 156.00 due 31 Mar,
    paid on 31 Mar (on time); I3 1 Apr 390.00 due 1 May, open; 100.00 received on 20 Apr,
    not allocated."""
    with freeze_time("2026-04-20"):
        i1 = invoice_of(10, dt.date(2026, 1, 5))
        p1 = pay("780.00", dt.date(2026, 2, 14))
        allocate(p1, [(i1.installments.get(), "780")], by=admin, on=dt.date(2026, 2, 14))
        i2 = invoice_of(2, dt.date(2026, 3, 1))
        p2 = pay("156.00", dt.date(2026, 3, 31))
        allocate(p2, [(i2.installments.get(), "156")], by=admin, on=dt.date(2026, 3, 31))
        i3 = invoice_of(5, dt.date(2026, 4, 1))
        pay("100.00", dt.date(2026, 4, 20))
    return i1, i2, i3


def test_statement_by_hand(api, customer, account, frozen):
    i1, i2, i3 = account
    with frozen("2026-06-01"):
        response = api.get(f"/api/customers/{customer.pk}/statement", {"as_of": "2026-05-11"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["customer"], body["customer_name"], body["as_of"]) == (
        customer.pk,
        customer.legal_name,
        "2026-05-11",
    )
    # I3 390.00 due 1 May: 10 days late on 11 May; the 100.00 payment is a credit.
    assert body["items"] == [
        {
            "kind": "invoice",
            "reference": i3.number,
            "date": "2026-04-01",
            "due_date": "2026-05-01",
            "amount": "390.00",
            "open_amount": "390.00",
            "days_overdue": 10,
        },
        {
            "kind": "payment",
            "reference": "RG2026-00003",
            "date": "2026-04-20",
            "due_date": None,
            "amount": "100.00",
            "open_amount": "-100.00",
            "days_overdue": 0,
        },
    ]
    assert (body["balance"], body["overdue"]) == ("290.00", "390.00")  # 390 − 100
    # Days late: I1 10, I2 0: average 5.0, one in two paid late.
    assert body["behaviour"] == {
        "settled": 2,
        "average_days_late": "5.0",
        "paid_late_share": "50.0",
    }
    assert [(a["debit"], a["credit"], a["amount"]) for a in body["allocations"]] == [
        (i2.number, "RG2026-00002", "156.00"),
        (i1.number, "RG2026-00001", "780.00"),
    ]


def test_statement_defaults_to_today(api, customer, account, frozen):
    with frozen("2026-04-20"):
        body = api.get(f"/api/customers/{customer.pk}/statement").json()
    # On 20 Apr: I3 390.00 not yet due, the 100.00 received that day.
    assert (body["as_of"], body["balance"], body["overdue"]) == ("2026-04-20", "290.00", "0.00")


@pytest.mark.parametrize(
    "as_of, code",
    [
        ("2026-04-21", "future_date"),
        ("2026-02-30", "invalid_request"),
        ("demain", "invalid_request"),
        # Outside the window of typed dates (validation.DATE_MIN..DATE_MAX).
        ("1999-12-31", "invalid_request"),
        ("0", "invalid_request"),
    ],
)
def test_statement_bad_as_of_is_422(api, customer, frozen, as_of, code):
    with frozen("2026-04-20"):
        response = api.get(f"/api/customers/{customer.pk}/statement", {"as_of": as_of})
    body = assert_error(response, 422, code, "as_of")
    if code == "future_date":
        assert body["message"] == (
            "La date de situation (21/04/2026) ne peut pas être dans le futur."
        )


def test_another_companys_statement_is_404(other_api, customer):
    assert_error(other_api.get(f"/api/customers/{customer.pk}/statement"), 404, "not_found")


def test_read_only_role_reads_the_reports(reader_api, customer):
    for path in (
        f"/api/customers/{customer.pk}/statement",
        "/api/reports/aged-balance",
        "/api/reports/dso",
    ):
        assert reader_api.get(path).status_code == 200, path


def test_the_fec_is_for_admin_and_accounting_only(reader_api, company, make_user, make_key):
    """The FEC is the whole books: as on the web page, read-only and sales get 403."""
    assert_error(reader_api.get("/api/ledger/fec?year=2025"), 403, "forbidden")
    sales = ApiClient(make_key(make_user("adv", company, Role.SALES), company))
    assert sales.get("/api/ledger/fec?year=2025").status_code == 403
    accountant = ApiClient(make_key(make_user("compta", company, Role.ACCOUNTING), company))
    assert accountant.get("/api/ledger/fec?year=2025").status_code == 200


# Aged balance


@pytest.fixture
def two_customers(company, customer, invoice_of, pay, admin):
    """Hours at 78.00 TTC, 30 days net.

    Dupont (customer): I1 5 Jan 780.00 due 4 Feb, 500.00 paid and allocated 20 Feb;
    I3 1 Mar 156.00 due 31 Mar.
    Martin (risky, class C, salesperson admin): I2 10 Feb 390.00 due 12 Mar; 100.00
    received 20 Mar, not allocated."""
    martin = create_customer(
        company,
        {
            **CUSTOMER,
            "legal_name": "Pâtisserie Martin",
            "siren": "443061841",
            "siret": "",
            "segment": "risky",
            "risk_class": "C",
            "salesperson": admin.pk,
        },
        by=admin,
    )
    with freeze_time("2026-04-15"):
        i1 = invoice_of(10, dt.date(2026, 1, 5))
        allocate(
            pay("500.00", dt.date(2026, 2, 20)),
            [(i1.installments.get(), "500")],
            by=admin,
            on=dt.date(2026, 2, 20),
        )
        invoice_of(5, dt.date(2026, 2, 10), cust=martin)
        invoice_of(2, dt.date(2026, 3, 1))
        pay("100.00", dt.date(2026, 3, 20), cust=martin)
    return customer, martin


def aged(api, frozen, **params):
    with frozen("2026-04-15"):
        return api.get("/api/reports/aged-balance", params)


def test_aged_balance_by_hand(api, two_customers, frozen):
    dupont, martin = two_customers
    response = aged(api, frozen, as_of="2026-04-10")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["as_of"] == "2026-04-10"
    assert [(b["label"], b["first_day"], b["last_day"]) for b in body["buckets"]] == [
        ("Non échu", None, 0),
        ("1–30 j", 1, 30),
        ("31–60 j", 31, 60),
        ("61–90 j", 61, 90),
        ("+ 90 j", 91, None),
    ]
    # Dupont: I1 780 − 500 = 280.00, 65 days late; I3 156.00, 10 days late.
    # Martin: I2 390.00, 29 days late; 100.00 unapplied.
    assert body["rows"] == [
        {
            "customer": dupont.pk,
            "customer_name": "Boulangerie Dupont SARL",
            "amounts": ["0.00", "156.00", "0.00", "280.00", "0.00"],
            "open_items": "436.00",
            "unapplied": "0.00",
            "balance": "436.00",
        },
        {
            "customer": martin.pk,
            "customer_name": "Pâtisserie Martin",
            "amounts": ["0.00", "390.00", "0.00", "0.00", "0.00"],
            "open_items": "390.00",
            "unapplied": "100.00",
            "balance": "290.00",
        },
    ]
    assert body["totals"] == ["0.00", "546.00", "0.00", "280.00", "0.00"]
    assert (body["unapplied"], body["balance"]) == ("100.00", "726.00")


def test_aged_balance_total_is_the_sum_of_customer_balances(api, two_customers, frozen):
    for as_of in ("2026-02-28", "2026-03-15", "2026-04-10"):
        total = aged(api, frozen, as_of=as_of).json()["balance"]
        with frozen("2026-04-15"):
            balances = [
                api.get(f"/api/customers/{c.pk}/statement", {"as_of": as_of}).json()["balance"]
                for c in two_customers
            ]
        assert sum(map(float, balances)) == pytest.approx(float(total)), as_of
    # 28 Feb: Dupont 280.00 (I1 after 500.00), Martin 390.00 not yet due; nothing else yet
    body = aged(api, frozen, as_of="2026-02-28").json()
    assert (body["totals"], body["balance"]) == (
        ["390.00", "280.00", "0.00", "0.00", "0.00"],
        "670.00",
    )


def test_aged_balance_with_its_own_buckets(api, two_customers, frozen):
    body = aged(api, frozen, as_of="2026-04-10", buckets="15,45").json()
    assert [b["label"] for b in body["buckets"]] == ["Non échu", "1–15 j", "16–45 j", "+ 45 j"]
    # Dupont: I3 10 days, I1 65 days; Martin: I2 29 days
    assert [r["amounts"] for r in body["rows"]] == [
        ["0.00", "156.00", "0.00", "280.00"],
        ["0.00", "0.00", "390.00", "0.00"],
    ]


@pytest.mark.parametrize(
    "params, names",
    [
        ({"segment": "risky"}, ["Pâtisserie Martin"]),
        ({"segment": "public"}, []),
        ({"risk_class": "C"}, ["Pâtisserie Martin"]),
        ({"risk_class": "A"}, ["Boulangerie Dupont SARL"]),
        ({"salesperson": "ADMIN"}, ["Pâtisserie Martin"]),
        ({"customer": "DUPONT"}, ["Boulangerie Dupont SARL"]),
    ],
)
def test_aged_balance_filters(api, admin, two_customers, frozen, params, names):
    ids = {"ADMIN": admin.pk, "DUPONT": two_customers[0].pk}
    params = {k: ids.get(v, v) for k, v in params.items()}
    body = aged(api, frozen, as_of="2026-04-10", **params).json()
    assert [r["customer_name"] for r in body["rows"]] == names
    if not names:
        assert body["balance"] == "0.00"


def test_aged_balance_as_csv(api, two_customers, frozen):
    response = aged(api, frozen, as_of="2026-04-10", format="csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="balance-agee-2026-04-10.csv"'
    lines = response.content.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("Client;Non échu;1–30 j;")
    assert lines[2] == "Pâtisserie Martin;0,00;390,00;0,00;0,00;0,00;100,00;290,00"
    assert lines[3] == "Total;0,00;546,00;0,00;280,00;0,00;100,00;726,00"


def test_aged_balance_as_xlsx(api, two_customers, frozen):
    response = aged(api, frozen, as_of="2026-04-10", format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].endswith('filename="balance-agee-2026-04-10.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [sheet["A3"].value, sheet["C3"].value, sheet["E3"].value] == [
        "Boulangerie Dupont SARL",
        156,
        280,
    ]
    assert sheet["A5"].value == "Total" and sheet["H5"].value == "=SUM(H3:H4)"


@pytest.mark.parametrize(
    "params, code, field",
    [
        ({"as_of": "2026-04-16"}, "future_date", "as_of"),
        ({"as_of": "15/04/2026"}, "invalid_request", "as_of"),
        ({"buckets": "60,30"}, "invalid_buckets", "buckets"),
        ({"buckets": "30,soixante"}, "invalid_buckets", "buckets"),
        ({"buckets": "30,100000"}, "invalid_buckets", "buckets"),
        ({"segment": "vip"}, "invalid_request", "segment"),
        ({"format": "pdf"}, "invalid_request", "format"),
        ({"salesperson": "0"}, "invalid_request", "salesperson"),
    ],
)
def test_aged_balance_bad_parameters_are_422(api, company, frozen, params, code, field):
    assert_error(aged(api, frozen, **params), 422, code, field)


def test_aged_balance_drill_down(api, two_customers, frozen):
    dupont, _ = two_customers
    items = aged(api, frozen, as_of="2026-04-10", customer=dupont.pk, bucket=3)
    with frozen("2026-04-15"):
        response = api.get(
            "/api/reports/aged-balance/items",
            {"as_of": "2026-04-10", "customer": dupont.pk, "bucket": 3},
        )
    assert response.status_code == 200, response.content
    # The 61–90 cell of Dupont: I1, 780.00 of which 280.00 still owed
    body = response.json()
    assert (body["count"], body["limit"], body["offset"]) == (1, 50, 0)
    (item,) = body["items"]
    assert (item["invoice_number"], item["due_date"], item["amount"], item["open_amount"]) == (
        "FA2026-00001",
        "2026-02-04",
        "780.00",
        "280.00",
    )
    assert items.json()["rows"][0]["amounts"][3] == item["open_amount"]
    with frozen("2026-04-15"):
        for params, status in (
            ({"customer": dupont.pk, "bucket": 9}, 422),
            ({"customer": dupont.pk}, 422),
            ({"customer": 10**6, "bucket": 1}, 404),
        ):
            response = api.get("/api/reports/aged-balance/items", params)
            assert response.status_code == status, response.content


def test_aged_balance_rows_are_paged_with_the_totals_of_all(api, two_customers, frozen):
    whole = aged(api, frozen, as_of="2026-04-10").json()
    assert (whole["count"], whole["limit"], whole["offset"]) == (2, 50, 0)
    first = aged(api, frozen, as_of="2026-04-10", limit=1).json()
    second = aged(api, frozen, as_of="2026-04-10", limit=1, offset=1).json()
    assert [first["rows"], second["rows"]] == [whole["rows"][:1], whole["rows"][1:]]
    for part in (first, second):
        assert part["count"] == 2
        assert [part[k] for k in ("totals", "unapplied", "balance")] == [
            whole[k] for k in ("totals", "unapplied", "balance")
        ]
    assert aged(api, frozen, as_of="2026-04-10", offset=5).json()["rows"] == []


@pytest.mark.parametrize("path", ["/api/reports/aged-balance", "/api/reports/aged-balance/items"])
@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "x"}])
def test_aged_balance_bad_paging_is_422(api, two_customers, frozen, path, params):
    dupont, _ = two_customers
    with frozen("2026-04-15"):
        response = api.get(path, {"customer": dupont.pk, "bucket": 1, **params})
    assert_error(response, 422, "invalid_request", next(iter(params)))


def test_another_company_sees_none_of_it(other_api, two_customers, frozen):
    body = aged(other_api, frozen, as_of="2026-04-10").json()
    assert (body["rows"], body["balance"]) == ([], "0.00")


# DSO


def dso(api, frozen, **params):
    with frozen("2026-07-01"):
        return api.get("/api/reports/dso", params)


def test_dso_by_hand(api, quarter, frozen):
    response = dso(api, frozen, as_of="2026-06-30", months=3)
    assert response.status_code == 200, response.content
    # Receivables 780 + 1560 + 390 − 60 − 780 = 1,890.00; revenue 2,670.00 over 91 days.
    # Simple: 1890 / 2670 × 91 = 64.41 -> 64.4. Countback: June 330 (30 d) + May 1560
    # (31 d) absorb the 1890: 61.0.
    assert response.json() == {
        "as_of": "2026-06-30",
        "months": 3,
        "customer": None,
        "receivables": "1890.00",
        "revenue": "2670.00",
        "period_days": 91,
        "simple": "64.4",
        "countback": "61.0",
        "steps": [
            {
                "start": "2026-06-01",
                "end": "2026-06-30",
                "revenue": "330.00",
                "absorbed": "330.00",
                "days": "30.0",
            },
            {
                "start": "2026-05-01",
                "end": "2026-05-31",
                "revenue": "1560.00",
                "absorbed": "1560.00",
                "days": "31.0",
            },
        ],
    }


def test_dso_of_one_customer(api, company, admin, customer, quarter, frozen):
    body = dso(api, frozen, as_of="2026-06-30", months=3, customer=customer.pk).json()
    assert (body["customer"], body["simple"], body["countback"]) == (customer.pk, "64.4", "61.0")
    newcomer = create_customer(company, {"legal_name": "Nouveau client"}, by=admin)
    body = dso(api, frozen, as_of="2026-06-30", months=3, customer=newcomer.pk).json()
    assert (body["receivables"], body["simple"], body["countback"]) == ("0.00", None, "0")


def test_dso_defaults_to_today_and_twelve_months(api, quarter, frozen):
    body = dso(api, frozen).json()
    assert (body["as_of"], body["months"]) == ("2026-07-01", 12)
    # 1 Jul counts back from 2 Jul: the twelve periods run 2 Jul 2025 – 1 Jul 2026.
    assert (body["revenue"], body["period_days"]) == ("2670.00", 365)


def test_dso_trend(api, quarter, frozen):
    with frozen("2026-07-01"):
        response = api.get("/api/reports/dso/trend", {"as_of": "2026-06-30", "points": 3})
    assert response.status_code == 200, response.content
    trend = response.json()
    assert [t["as_of"] for t in trend] == ["2026-04-30", "2026-05-31", "2026-06-30"]
    # 30 April: receivables 780.00, revenue 780.00 over Feb–Apr (28 + 31 + 30 = 89 days)
    assert (trend[0]["receivables"], trend[0]["period_days"], trend[0]["simple"]) == (
        "780.00",
        89,
        "89.0",
    )
    assert trend[2]["simple"] == "64.4"


@pytest.mark.parametrize(
    "params, code, field",
    [
        ({"months": 0}, "invalid_request", "months"),
        ({"months": 37}, "invalid_request", "months"),
        ({"as_of": "2026-07-02"}, "future_date", "as_of"),
        ({"customer": "x"}, "invalid_request", "customer"),
    ],
)
def test_dso_bad_parameters_are_422(api, company, frozen, params, code, field):
    assert_error(dso(api, frozen, **params), 422, code, field)


def test_dso_of_another_companys_customer_is_404(other_api, customer, frozen):
    assert_error(dso(other_api, frozen, customer=customer.pk), 404, "not_found")


# FEC


def test_fec_download_is_the_export(api, company, customer, year_2025):
    response = api.get("/api/ledger/fec", {"year": 2025})
    assert response.status_code == 200, response.content
    name, content = export_fec(company, 2025)
    assert response.content == content
    assert response["Content-Type"] == "text/plain; charset=iso-8859-15"
    assert response["Content-Disposition"] == 'attachment; filename="732829320FEC20251231.txt"'
    assert name == "732829320FEC20251231.txt"
    # ... and the hand-written file of tests/ledger, line by line
    expected = EXPECTED.read_text(encoding="utf-8").format(aux=customer_account_code(customer))
    assert response.content.decode("iso-8859-15").split("\r\n") == expected.split("\n")


@pytest.mark.parametrize("params", [{}, {"year": "deux-mille"}, {"year": 10000}, {"year": 99}])
def test_fec_needs_a_year(api, params):
    assert_error(api.get("/api/ledger/fec", params), 422, "invalid_request", "year")


def test_fec_of_the_other_company_is_its_own(other_api, year_2025):
    body = other_api.get("/api/ledger/fec", {"year": 2025}).content.decode("iso-8859-15")
    assert body.count("\r\n") == 1  # the header line only
    assert body.startswith("JournalCode\tJournalLib\t")
