import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command


def test_aged_balance_command_json_and_csv(company, invoice_of, capsys, tmp_path):
    invoice_of(10, dt.date(2026, 1, 5))  # 780.00 due 4 Feb
    call_command("aged-balance", company=company.siren, as_of=dt.date(2026, 3, 1), format="json")
    data = json.loads(capsys.readouterr().out)
    assert data["balance"] == "780.00"
    assert data["rows"][0]["amounts"][1] == "780.00"  # 25 days late: 1–30
    out = tmp_path / "ab.csv"
    call_command(
        "aged-balance",
        company=company.siren,
        as_of=dt.date(2026, 3, 1),
        format="csv",
        output=str(out),
    )
    assert out.read_text().splitlines()[-1] == "Total;0,00;780,00;0,00;0,00;0,00;0,00;780,00"


def test_commands_refuse_unknown_company(db):
    with pytest.raises(CommandError, match="Aucune société"):
        call_command("aged-balance", company="000000000")
    with pytest.raises(CommandError, match="Aucune société"):
        call_command("fec", company="000000000", year=2025)


def test_fec_command_writes_the_named_file(company, invoice_of, tmp_path, capsys):
    invoice_of(1, dt.date(2025, 6, 1))
    call_command("fec", company=company.siren, year=2025, output_dir=str(tmp_path))
    assert (tmp_path / "732829320FEC20251231.txt").exists()
    # One hour of service: 411 debit 78.00, 706 credit 65.00, 445711 credit 13.00.
    assert "(3 lignes" in capsys.readouterr().out
