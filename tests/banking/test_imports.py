"""Statement import: all or nothing, idempotent by file and by line (overlapping files),
balances' gaps shown with their dates, accounts and currencies checked, rights."""

from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from encaisse.audit.models import AuditEntry
from encaisse.banking import formats
from encaisse.banking.formats.base import MalformedStatement
from encaisse.banking.models import BankLine, BankStatement, StatementFile
from encaisse.banking.services import imports
from encaisse.banking.services.accounts import create_account
from encaisse.companies.models import Role
from encaisse.errors import Forbidden, NotFound, ValidationFailed
from encaisse.jobs.models import Job, JobState
from encaisse.jobs.runner import run_pending_jobs

from .factories import CIC, SG, day, line, statement

pytestmark = pytest.mark.django_db


def run(company, account, statements, by, name="releve.xml", sha=None):
    return imports.import_statements(
        company,
        account,
        statements,
        file_name=name,
        sha256=sha or name.ljust(64, "0")[:64],
        format="camt053",
        by=by,
    )


def counts():
    return (
        StatementFile.objects.count(),
        BankStatement.objects.count(),
        BankLine.objects.count(),
    )


def january(**kwargs):
    """12 → 13 January: three lines, two of them the same card payment."""
    lines = [
        line("1500.00", day(12), "VIR SEPA BOULANGERIE DUPONT FA2024-00012", value_date=day(12)),
        line("-12.50", day(13), "CB CARREFOUR 12/01"),
        line("-12.50", day(13), "CB CARREFOUR 12/01"),
    ]
    return statement(lines, "1000.00", day(12), day(13), **kwargs)


def test_a_statement_is_imported_with_its_lines_and_balances(company, sg_account, accountant):
    result = run(company, sg_account, [january(reference="STMT-1")], accountant)
    assert (result.lines_imported, result.lines_skipped, result.gaps) == (3, 0, [])
    stored = BankStatement.objects.get()
    assert (stored.opening_balance, stored.closing_balance) == (
        Decimal("1000.00"),
        Decimal("2475.00"),
    )
    assert stored.balance_gap == Decimal("0.00") and stored.chain_gap is None
    assert stored.account == sg_account and stored.reference == "STMT-1"
    lines = list(BankLine.objects.order_by("position"))
    assert [x.amount for x in lines] == [Decimal("1500.00"), Decimal("-12.50"), Decimal("-12.50")]
    assert lines[0].value_date == day(12) and lines[0].status == "unmatched"
    assert lines[1].fingerprint != lines[2].fingerprint  # the same payment twice: two lines
    file = StatementFile.objects.get()
    assert (file.lines_imported, file.lines_skipped, file.imported_by) == (3, 0, accountant)
    assert result.message == "1 relevé, 3 lignes importées."
    entry = AuditEntry.objects.get(action="bank.statement_imported")
    assert entry.actor == accountant and entry.changes["lines_imported"] == 3


def test_the_same_file_twice_imports_nothing_the_second_time(
    company, sg_account, accountant, monkeypatch
):
    monkeypatch.setattr(formats, "parse", lambda data: [january()])
    first = imports.import_file(company, sg_account, b"file one", name="a.xml", by=accountant)
    assert first.lines_imported == 3 and not first.already_imported
    before = counts()
    again = imports.import_file(company, sg_account, b"file one", name="b.xml", by=accountant)
    assert again.already_imported and again.file == first.file
    assert again.message.startswith("Ce fichier a déjà été importé le ")
    assert "(3 lignes)" in again.message
    assert counts() == before == (1, 1, 3)


def test_an_overlapping_next_file_adds_only_the_new_lines(company, sg_account, accountant):
    # File 1: 12 → 13 January. File 2, exported later: 13 → 15 January, holding again the
    # two card payments of the 13th, a third identical one booked late that day, and the
    # 14th and 15th.
    run(company, sg_account, [january()], accountant, name="one")
    second = statement(
        [
            line("-12.50", day(13), "CB  Carrefour 12/01"),  # same label, other spacing
            line("-12.50", day(13), "CB CARREFOUR 12/01"),
            line("-12.50", day(13), "CB CARREFOUR 12/01"),  # the third: new
            line("250.00", day(14), "VIR SEPA MARTIN"),
            line("-40.00", day(15), "PRLV ORANGE"),
        ],
        "2500.00",  # the 12th's closing: 1000 + 1500
        day(12),
        day(15),
    )
    result = run(company, sg_account, [second], accountant, name="two")
    assert (result.lines_imported, result.lines_skipped) == (3, 2)
    assert BankLine.objects.count() == 6
    assert sorted(BankLine.objects.values_list("amount", flat=True)) == sorted(
        Decimal(x) for x in ("1500.00", "-12.50", "-12.50", "-12.50", "250.00", "-40.00")
    )
    file = StatementFile.objects.get(name="two")
    assert (file.lines_imported, file.lines_skipped) == (3, 2)
    assert result.message == "1 relevé, 3 lignes importées, 2 déjà importées."


def test_the_same_day_exported_twice_is_skipped_whole(company, sg_account, accountant):
    run(company, sg_account, [january()], accountant, name="morning")
    result = run(company, sg_account, [january()], accountant, name="evening")
    assert result.statements_skipped == 1 and result.lines_skipped == 3
    assert result.lines_imported == 0
    assert BankStatement.objects.count() == 1 and BankLine.objects.count() == 3
    assert StatementFile.objects.count() == 2  # the file is known: not imported again
    assert "1 relevé(s) déjà importé(s) ignoré(s)" in result.message


def test_gaps_are_shown_with_amounts_and_dates_never_fixed(company, sg_account, accountant):
    first = january(closing="2465.00")  # the lines give 2475.00: 10.00 missing
    # The next statement opens on the 15th at 2477.34: 12.34 more than the 13th's closing.
    second = statement([line("-7.34", day(15))], "2477.34", day(15), day(15))
    result = run(company, sg_account, [first, second], accountant)
    texts = [g.text for g in result.gaps]
    assert texts == [
        "Écart de 10,00\u00a0€ entre le solde initial du 12/01/2024 plus les opérations et "
        "le solde final du 13/01/2024",
        "Écart de 12,34\u00a0€ entre le solde final du 13/01/2024 et le solde initial du "
        "15/01/2024",
    ]
    one, two = BankStatement.objects.order_by("closing_date")
    assert (one.balance_gap, one.chain_gap) == (Decimal("10.00"), None)
    assert (two.balance_gap, two.chain_gap, two.previous) == (
        Decimal("0.00"),
        Decimal("12.34"),
        one,
    )
    # The balances stay as the bank gave them.
    assert (one.closing_balance, two.opening_balance) == (Decimal("2465.00"), Decimal("2477.34"))
    assert texts[0] in result.message and texts[1] in result.message
    assert [g.text for g in imports.gaps_of(two)] == texts[1:]


def test_an_older_file_imported_later_closes_the_chain(company, sg_account, accountant):
    later = statement([line("5.00", day(20))], "2475.00", day(15), day(20))
    run(company, sg_account, [later], accountant, name="later")
    assert BankStatement.objects.get().chain_gap is None  # nothing before it yet
    run(company, sg_account, [january()], accountant, name="earlier")
    stored = BankStatement.objects.get(closing_date=day(20))
    assert stored.previous.closing_date == day(13) and stored.chain_gap == Decimal("0.00")


def test_without_opening_balance_it_is_derived_and_said(company, sg_account, accountant):
    run(company, sg_account, [january()], accountant, name="camt")  # closes at 2475.00
    ofx = statement(
        [line("100.00", day(14)), line("-25.00", day(15))],
        None,
        None,
        day(15),
        closing="2560.00",  # 2475 + 75 = 2550: 10.00 arrived from nowhere
        format="ofx",
    )
    result = run(company, sg_account, [ofx], accountant, name="ofx")
    stored = BankStatement.objects.get(file__name="ofx")
    assert stored.opening_derived and stored.opening_balance == Decimal("2485.00")
    assert stored.balance_gap is None  # nothing to compare: derived from the lines
    assert stored.chain_gap == Decimal("10.00")
    assert "Solde initial absent du fichier : déduit du solde final et des opérations." in (
        result.message
    )


def test_an_amount_that_is_not_whole_cents_refuses_the_file(company, sg_account, accountant):
    bad = january()
    bad.lines.append(line("-8.855", day(13), where="Stmt 1 / Ntry 4"))
    with pytest.raises(ValidationFailed) as caught:
        run(company, sg_account, [january(closing=None, reference="A"), bad], accountant)
    assert caught.value.message.startswith("Stmt 1 / Ntry 4 : le montant -8,855")
    assert "n'est pas un nombre entier de centimes" in caught.value.message
    assert counts() == (0, 0, 0)


def test_a_whole_cent_written_with_three_decimals_is_accepted(company, sg_account, accountant):
    result = run(
        company,
        sg_account,
        [statement([line("8.850", day(12))], "0", day(12), day(12))],
        accountant,
    )
    assert result.lines_imported == 1 and BankLine.objects.get().amount == Decimal("8.85")


def test_another_currency_is_refused(company, sg_account, accountant):
    with pytest.raises(ValidationFailed) as caught:
        run(company, sg_account, [january(currency="CHF")], accountant)
    assert caught.value.field == "account"
    assert "est en CHF, le compte Société Générale" in caught.value.message
    assert counts() == (0, 0, 0)


def test_a_statement_of_an_unknown_account_refuses_the_file_and_names_it(
    company, sg_account, accountant
):
    other = january(iban="NL77ABNA0574908765")
    with pytest.raises(ValidationFailed) as caught:
        run(company, sg_account, [january(), other], accountant)
    assert "NL77ABNA0574908765" in caught.value.message
    assert "n'est pas un compte bancaire de la société" in caught.value.message
    assert counts() == (0, 0, 0)


def test_a_file_of_two_accounts_imports_each_into_its_own(company, admin, sg_account, accountant):
    cic = create_account(
        company, {"name": "CIC", "iban": CIC, "journal": "BQ3", "ledger_account": "5123"}, by=admin
    )
    # CFONB gives no IBAN, the bank's own number: bank, branch, account.
    ours = january(iban="", account_number="30003 01234 01234567890")
    theirs = january(iban="", account_number="10278 01234 00012345678", reference="cic")
    result = run(company, sg_account, [ours, theirs], accountant)
    assert [s.account for s in result.statements] == [sg_account, cic]
    assert BankLine.objects.filter(account=cic).count() == 3
    assert BankLine.objects.filter(account=sg_account).count() == 3
    # The same lines on two accounts are not the same lines.
    assert BankLine.objects.values("fingerprint").distinct().count() == 6
    with pytest.raises(ValidationFailed) as caught:
        run(
            company,
            sg_account,
            [january(iban="", account_number="99999 11111 22222222222")],
            accountant,
            name="x",
        )
    assert "99999 11111 22222222222" in caught.value.message


def test_a_statement_without_account_identification_is_the_chosen_accounts(
    company, sg_account, accountant
):
    run(company, sg_account, [january(iban="")], accountant)
    assert BankStatement.objects.get().account == sg_account


def test_a_malformed_file_shows_the_parsers_message_and_writes_nothing(
    company, sg_account, accountant, monkeypatch
):
    def broken(data):
        raise MalformedStatement("enregistrement 04 de 118 caractères au lieu de 120", "ligne 7")

    monkeypatch.setattr(formats, "parse", broken)
    with pytest.raises(ValidationFailed) as caught:
        imports.import_file(company, sg_account, b"0130003...", name="x.cfo", by=accountant)
    assert caught.value.message == "ligne 7 : enregistrement 04 de 118 caractères au lieu de 120"
    assert caught.value.field == "file"
    assert counts() == (0, 0, 0)


def test_a_failure_halfway_leaves_no_row_at_all(company, sg_account, accountant, monkeypatch):
    real = imports._import_one
    calls = []

    def second_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "_import_one", second_fails)
    later = statement([line("1.00", day(20))], "2475.00", day(15), day(20))
    with pytest.raises(RuntimeError):
        run(company, sg_account, [january(), later], accountant)
    assert counts() == (0, 0, 0)
    assert not AuditEntry.objects.filter(action="bank.statement_imported").exists()


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.SALES, Role.COLLECTION])
def test_roles_without_the_right_are_refused(company, sg_account, make_user, role):
    user = make_user(f"u-{role}", company, role)
    with pytest.raises(Forbidden):
        run(company, sg_account, [january()], user)
    with pytest.raises(Forbidden):
        imports.import_file(company, sg_account, b"x", name="x", by=user)
    assert counts() == (0, 0, 0)


def test_another_company_does_not_exist(company, sg_account, other_company, make_user):
    stranger = make_user("autre", other_company)
    with pytest.raises(NotFound):
        run(company, sg_account, [january()], stranger)
    # Their admin, with our account, in their company.
    with pytest.raises(NotFound):
        run(other_company, sg_account, [january()], stranger)
    assert counts() == (0, 0, 0)


def test_an_inactive_account_is_refused(company, admin, sg_account, accountant):
    from encaisse.banking.services.accounts import set_active

    set_active(sg_account, False, by=admin)
    with pytest.raises(ValidationFailed) as caught:
        imports.import_file(company, sg_account, b"x", name="x", by=accountant)
    assert "désactivé" in caught.value.message


def test_after_import_is_called_once_inside_the_import(
    company, sg_account, accountant, monkeypatch
):
    seen = []
    monkeypatch.setattr(imports, "after_import", lambda f: seen.append(f.pk))
    result = run(company, sg_account, [january()], accountant)
    assert seen == [result.file.pk]


def test_a_large_file_is_imported_by_a_job_with_its_progress(
    company, sg_account, accountant, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ENCAISSE_BANK_IMPORT_INLINE_LINES = 2
    monkeypatch.setattr(formats, "parse", lambda data: [january()])
    monkeypatch.setattr(formats, "detect", lambda data: "camt053")
    result = imports.import_file(company, sg_account, b"big file", name="big.xml", by=accountant)
    job = result.job
    assert job is not None and job.name == "banking.import_file" and counts() == (0, 0, 0)
    assert job.label == "Import du relevé « big.xml » (3 lignes)"
    stored = job.arguments["stored"]
    assert default_storage.exists(stored)
    # Uploaded again before the job ran: the same job.
    again = imports.import_file(company, sg_account, b"big file", name="big.xml", by=accountant)
    assert again.job.pk == job.pk
    assert len(default_storage.listdir(f"bank-imports/{company.pk}")[1]) == 1
    run_pending_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    assert (job.done, job.total) == (3, 3)
    assert job.message == "1 relevé, 3 lignes importées."
    assert job.result["lines_imported"] == 3 and job.link.startswith("/")
    # Not under "file": jobs.prune would take it for a storage file to delete.
    assert "file" not in job.result
    assert job.result["statement_file"] == StatementFile.objects.get().pk
    assert counts() == (1, 1, 3)
    assert StatementFile.objects.get().imported_by == accountant
    assert not default_storage.exists(stored)
    # Uploaded after the job: already imported.
    assert imports.import_file(
        company, sg_account, b"big file", name="b", by=accountant
    ).already_imported


def test_a_large_file_that_fails_in_its_job_keeps_its_bytes(
    company, sg_account, accountant, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ENCAISSE_BANK_IMPORT_INLINE_LINES = 2
    monkeypatch.setattr(formats, "parse", lambda data: [january(currency="CHF")])
    job = imports.import_file(company, sg_account, b"big", name="big.xml", by=accountant).job
    run_pending_jobs()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "est en CHF" in job.error_text
    assert default_storage.exists(job.arguments["stored"]) and counts() == (0, 0, 0)
    assert Job.objects.count() == 1


def test_fingerprint_ignores_spacing_and_accents_not_amounts_or_dates():
    base = line("10.00", day(3), "Virement Société Générale", value_date=day(3))
    same = line("10.0", day(3), "VIREMENT  SOCIETE GENERALE ", value_date=day(3))
    other_day = line("10.00", day(4), "Virement Société Générale", value_date=day(3))
    other_amount = line("10.01", day(3), "Virement Société Générale", value_date=day(3))
    (a,) = imports.fingerprints(SG, [base])
    assert imports.fingerprints(SG, [same]) == [a]
    assert imports.fingerprints(SG, [other_day]) != [a]
    assert imports.fingerprints(SG, [other_amount]) != [a]
    assert imports.fingerprints(CIC, [base]) != [a]
    twice = imports.fingerprints(SG, [base, same])
    assert twice[0] == a and twice[1] != a


def test_money_formatting_of_gaps():
    assert imports.money(Decimal("-1234.5")) == "-1\u202f234,50\u00a0€"
    assert imports.money(Decimal("12.34"), "CHF") == "12,34\u00a0CHF"


def test_two_accounts_of_a_file_never_go_into_one(company, sg_account, accountant):
    # OFX: a current and a savings account with the same ACCTID, told apart by the type
    # (and here, the bank id).
    checking = january(iban="", account_number="01234567890 CHECKING", bank_id="30003")
    savings = january(iban="", account_number="01234567890 SAVINGS", bank_id="00000")
    with pytest.raises(ValidationFailed) as caught:
        run(company, sg_account, [checking, savings], accountant)
    assert caught.value.code == "ambiguous_account"
    assert "n° 01234567890 SAVINGS, banque 00000" in caught.value.message
    assert counts() == (0, 0, 0)
    # Another bank's code with the same account number is another account.
    with pytest.raises(ValidationFailed) as caught:
        run(
            company,
            sg_account,
            [january(iban="", account_number="01234567890", bank_id="10907")],
            accountant,
        )
    assert caught.value.code == "unknown_account"


def test_a_masked_account_number_is_the_chosen_accounts(company, sg_account, accountant):
    # Anonymised exports (OFX ACCTID « XXXXX XXXXX XXXXXXXXXXX »): nothing to compare.
    run(
        company,
        sg_account,
        [january(iban="", account_number="XXXXX XXXXX XXXXXXXXXXX")],
        accountant,
    )
    assert BankStatement.objects.get().account == sg_account


def test_parser_warnings_are_shown_in_the_summary(company, sg_account, accountant):
    stmt = january()
    stmt.warnings = ["ligne 12 : :61: après la fin du relevé, ignoré (+119,00)"]
    result = run(company, sg_account, [stmt], accountant)
    assert result.warnings == stmt.warnings
    assert result.message.endswith(
        "Avertissements du fichier : ligne 12 : :61: après la fin du relevé, ignoré (+119,00)."
    )
    entry = AuditEntry.objects.get(action="bank.statement_imported")
    assert entry.changes["warnings"] == stmt.warnings


# ---------------------------------------------------------------- overlapping windows

AMOUNTS = st.sampled_from(["12.50", "-12.50", "100.00", "-7.34", "1500.00"])
LABELS = st.sampled_from(["CB CARREFOUR", "VIR DUPONT", "PRLV ORANGE"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    truth=st.lists(st.tuples(st.integers(1, 6), AMOUNTS, LABELS), min_size=1, max_size=25),
    first=st.tuples(st.integers(1, 6), st.integers(0, 5)),
    second=st.tuples(st.integers(1, 6), st.integers(0, 5)),
    reverse=st.booleans(),
)
def test_any_two_overlapping_exports_import_each_line_once(
    company, sg_account, accountant, truth, first, second, reverse
):
    """The bank's true movements (days 1-6, many identical), exported twice over two
    windows of whole days: whatever the windows and the order, each movement of their
    union is stored once, and the second import skips exactly those of the overlap."""
    BankLine.objects.all().delete()
    BankStatement.objects.all().delete()
    StatementFile.objects.all().delete()
    truth = sorted(truth, key=lambda t: t[0])  # the bank's order: by day

    def window(start, length):
        days = range(start, min(start + length, 6) + 1)
        lines = [line(amount, day(d), label) for d, amount, label in truth if d in days]
        return set(days), statement(lines, "0", day(days[0]), day(days[-1]))

    (days_a, file_a), (days_b, file_b) = window(*first), window(*second)
    if reverse:
        (days_a, file_a), (days_b, file_b) = (days_b, file_b), (days_a, file_a)
    run(company, sg_account, [file_a], accountant, name="a")
    result = run(company, sg_account, [file_b], accountant, name="b")
    union = sorted((d, Decimal(a), x) for d, a, x in truth if d in days_a | days_b)
    stored = sorted(
        (b.day, a, x) for b, a, x in BankLine.objects.values_list("booking_date", "amount", "label")
    )
    assert stored == union
    overlap = sum(1 for d, _a, _x in truth if d in days_a & days_b)
    assert result.lines_skipped + result.lines_imported == len(file_b.lines)
    assert result.lines_skipped == overlap


def test_the_progress_moves_inside_a_long_statement(
    company, sg_account, accountant, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ENCAISSE_BANK_IMPORT_INLINE_LINES = 100
    long = statement(
        [line(f"{n}.00", day(1 + n % 28), f"VIR {n}") for n in range(1, 1201)], "0", day(1), day(28)
    )
    monkeypatch.setattr(formats, "parse", lambda data: [long])
    seen = []
    real = imports.progress
    monkeypatch.setattr(
        imports,
        "progress",
        lambda job, done, total=None: (seen.append((done, total)), real(job, done, total)),
    )
    imports.import_file(company, sg_account, b"long", name="long.xml", by=accountant)
    run_pending_jobs()
    assert seen == [(0, 1200), (500, 1200), (1000, 1200), (1200, 1200)]
    assert BankLine.objects.count() == 1200
