import datetime as dt

import pytest

from encaisse.errors import ValidationFailed
from encaisse.sales.terms import check_terms, due_date


@pytest.mark.parametrize(
    ("issued", "kind", "days", "expected"),
    [
        (dt.date(2026, 1, 31), "net", 30, dt.date(2026, 3, 2)),  # 31 Jan + 30 d
        (dt.date(2026, 1, 15), "net", 60, dt.date(2026, 3, 16)),
        (dt.date(2026, 1, 15), "eom", 45, dt.date(2026, 3, 31)),  # 1 Mar -> end of March
        (dt.date(2026, 1, 10), "eom", 30, dt.date(2026, 2, 28)),  # 9 Feb -> end of Feb
        (dt.date(2028, 1, 31), "eom", 0, dt.date(2028, 1, 31)),
        (dt.date(2026, 5, 5), "receipt", None, dt.date(2026, 5, 5)),
    ],
)
def test_due_dates(issued, kind, days, expected):
    assert due_date(issued, kind, days) == expected


@pytest.mark.parametrize(
    ("kind", "days", "fragment"),
    [("net", 61, "dépasse 60 jours"), ("eom", 46, "dépasse 45 jours fin de mois")],
)
def test_terms_beyond_the_legal_cap_are_refused(kind, days, fragment):
    with pytest.raises(ValidationFailed) as error:
        check_terms(kind, days)
    assert error.value.code == "terms_exceed_legal_cap"
    assert fragment in error.value.message
    assert "L.441-10" in error.value.message


def test_terms_at_the_cap_are_accepted():
    check_terms("net", 60)
    check_terms("eom", 45)
