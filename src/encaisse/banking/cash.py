"""The cash view (trésorerie): what is in the bank, by value date, and what should come in.

- **Balance per account over time**, by value date (the day the money counts for the
  bank; the booking date when the bank gave none): the opening balance of the account's
  first statement plus its lines valued by each day. One grouped query over the lines
  of the period (and one sum of what came before it), cumulated in Python over at most
  a few hundred points.
- **Expected receipts**: what open invoices still owe (the stored
  `Installment.open_amount`), by the week of their due date, in one grouped query (the
  week of each due date is found by comparing with precomputed Monday boundaries, no
  date arithmetic in SQL). What was due before today is the « en retard » bucket, shown
  apart and not counted in the weeks: when it will be paid is not known. Weighting by
  each customer's payment behaviour is not done (see the lane's report).
- **A 13-week forecast**: week 1 is the current week (today to Sunday), weeks 2–13 the
  following ones; each week: opening, expected receipts, known bank movements (lines
  already imported whose value date falls in that week: debits announced by the bank),
  closing = opening + receipts + known movements; the next week opens at that closing.
- **Alerts**: a week whose closing falls below `Company.cash_alert_threshold` (empty:
  no alert), and the current balance below it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from encaisse.money import ZERO
from encaisse.reporting.aged_balance import sql_money

from .models import BankAccount, BankStatement

WEEKS = 13
MAX_POINTS = 400  # a daily series of more than a year is asked weekly


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


# ---------------------------------------------------------------- balances by value date


@dataclass
class Series:
    account: BankAccount
    points: list[tuple[dt.date, Decimal]]  # (day, balance at the end of that day)
    known: bool  # False: no statement gives a starting balance (lines only, from 0)


def value_date_balances(
    company, start: dt.date, end: dt.date, *, step: str = "day", accounts=None
) -> list[Series]:
    """Each active account's balance by value date at the end of each day (step="day")
    or each Sunday and the last day (step="week") from `start` to `end`."""
    accounts = list(
        accounts
        if accounts is not None
        else BankAccount.objects.filter(company=company, active=True).order_by("name", "pk")
    )
    if not accounts:
        return []
    ids = [a.pk for a in accounts]
    openings: dict[int, Decimal | None] = dict.fromkeys(ids)
    # The first statement of each account with an opening balance.
    for account_id, balance in (
        BankStatement.objects.filter(account_id__in=ids, opening_balance__isnull=False)
        .order_by("account_id", "opening_date", "pk")
        .values_list("account_id", "opening_balance")
    ):
        if openings[account_id] is None:
            openings[account_id] = balance
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT account_id,
                   CASE WHEN COALESCE(value_date, booking_date) < %s THEN NULL
                        ELSE COALESCE(value_date, booking_date) END AS day,
                   SUM(amount)
            FROM banking_bankline
            WHERE account_id IN ({marks}) AND COALESCE(value_date, booking_date) <= %s
            GROUP BY account_id,
                     CASE WHEN COALESCE(value_date, booking_date) < %s THEN NULL
                          ELSE COALESCE(value_date, booking_date) END
            """,
            [start, *ids, end, start],
        )
        rows = cursor.fetchall()
    before: dict[int, Decimal] = {}
    moves: dict[int, dict[dt.date, Decimal]] = {pk: {} for pk in ids}
    for account_id, day, amount in rows:
        if day is None:
            before[account_id] = sql_money(amount)
        else:
            moves[account_id][_as_date(day)] = sql_money(amount)
    days = (end - start).days + 1
    if step == "day" and days > MAX_POINTS:
        step = "week"
    marks_out = [start + dt.timedelta(days=n) for n in range(days)]
    if step == "week":
        marks_out = [d for d in marks_out if d.weekday() == 6 or d == end]
    result = []
    for account in accounts:
        opening = openings[account.pk]
        balance = (opening or ZERO) + before.get(account.pk, ZERO)
        points, day_moves = [], moves[account.pk]
        cursor_day = start
        for mark in marks_out:
            while cursor_day <= mark:
                balance += day_moves.get(cursor_day, ZERO)
                cursor_day += dt.timedelta(days=1)
            points.append((mark, balance))
        result.append(Series(account, points, known=opening is not None))
    return result


# ---------------------------------------------------------------- the forecast


@dataclass
class Week:
    number: int
    start: dt.date
    end: dt.date
    opening: Decimal = ZERO
    receipts: Decimal = ZERO  # open installments due this week
    receipts_count: int = 0
    known: Decimal = ZERO  # bank lines valued this week (after today)
    closing: Decimal = ZERO
    below: bool = False  # closing under the company's threshold


@dataclass
class Forecast:
    today: dt.date
    balance: Decimal  # all active accounts, by value date, at the end of today
    accounts: list[tuple[BankAccount, Decimal]]
    weeks: list[Week]
    overdue: Decimal  # « en retard »: due before today, still open
    overdue_count: int
    later: Decimal  # due after the 13 weeks
    later_count: int
    threshold: Decimal | None
    unknown_accounts: list[BankAccount] = field(default_factory=list)  # no opening balance

    @property
    def below_now(self) -> bool:
        return self.threshold is not None and self.balance < self.threshold

    @property
    def first_below(self) -> Week | None:
        return next((w for w in self.weeks if w.below), None)

    @property
    def alert(self) -> bool:
        return self.below_now or self.first_below is not None

    @property
    def expected(self) -> Decimal:
        return sum((w.receipts for w in self.weeks), ZERO)


def week_bounds(today: dt.date, weeks: int = WEEKS) -> list[tuple[dt.date, dt.date]]:
    """Week 1: today to Sunday; then Monday to Sunday."""
    first_monday = monday_of(today)
    bounds = []
    for n in range(weeks):
        monday = first_monday + dt.timedelta(weeks=n)
        bounds.append((max(monday, today), monday + dt.timedelta(days=6)))
    return bounds


def _week_case(column: str, bounds, params: list) -> str:
    """The week index of `column`: 0 before today (overdue), 1..n the weeks, n+1 after."""
    whens = [f"WHEN {column} < %s THEN 0"]
    params.append(bounds[0][0])
    for index, (_, last) in enumerate(bounds, start=1):
        whens.append(f"WHEN {column} <= %s THEN {index}")
        params.append(last)
    return f"CASE {' '.join(whens)} ELSE {len(bounds) + 1} END"


def expected_receipts(company, today: dt.date, bounds) -> dict[int, tuple[Decimal, int]]:
    """{week index: (open amount, installments)}: 0 overdue, 1..n, n+1 later."""
    params: list = []
    case = _week_case("due_date", bounds, params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT w, SUM(open_amount), COUNT(*) FROM (
                SELECT {case} AS w, open_amount
                FROM receivables_installment
                WHERE company_id = %s AND open_amount > 0
            ) t GROUP BY w
            """,
            [*params, company.pk],
        )
        return {int(w): (sql_money(total), int(n)) for w, total, n in cursor.fetchall()}


def known_movements(accounts, today: dt.date, bounds) -> dict[int, Decimal]:
    """{week index: Σ lines valued after today in that week} of `accounts`."""
    ids = [a.pk for a in accounts]
    if not ids:
        return {}
    params: list = []
    case = _week_case("COALESCE(value_date, booking_date)", bounds, params)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT w, SUM(amount) FROM (
                SELECT {case} AS w, amount
                FROM banking_bankline
                WHERE account_id IN ({marks}) AND COALESCE(value_date, booking_date) > %s
            ) t GROUP BY w
            """,
            [*params, *ids, today],
        )
        return {int(w): sql_money(total) for w, total in cursor.fetchall()}


def forecast(company, today: dt.date, *, weeks: int = WEEKS, accounts=None) -> Forecast:
    """The 13-week forecast from `today` (receivables are today's stored open amounts:
    a forecast is always made from today). `accounts`: the active accounts, when the
    caller read them already."""
    if accounts is None:
        accounts = BankAccount.objects.filter(company=company, active=True).order_by("name", "pk")
    accounts = list(accounts)
    series = value_date_balances(company, today, today, accounts=accounts)
    per_account = [(s.account, s.points[-1][1]) for s in series]
    balance = sum((b for _, b in per_account), ZERO)
    bounds = week_bounds(today, weeks)
    receipts = expected_receipts(company, today, bounds)
    known = known_movements(accounts, today, bounds)
    threshold = company.cash_alert_threshold
    rows, running = [], balance
    for number, (start, end) in enumerate(bounds, start=1):
        amount, count = receipts.get(number, (ZERO, 0))
        week = Week(number, start, end, opening=running, receipts=amount, receipts_count=count)
        week.known = known.get(number, ZERO)
        week.closing = week.opening + week.receipts + week.known
        week.below = threshold is not None and week.closing < threshold
        running = week.closing
        rows.append(week)
    overdue, overdue_count = receipts.get(0, (ZERO, 0))
    later, later_count = receipts.get(weeks + 1, (ZERO, 0))
    return Forecast(
        today=today,
        balance=balance,
        accounts=per_account,
        weeks=rows,
        overdue=overdue,
        overdue_count=overdue_count,
        later=later,
        later_count=later_count,
        threshold=threshold,
        unknown_accounts=[s.account for s in series if not s.known],
    )


def alert_line(company, today: dt.date) -> str:
    """The home page's warning, or "" (no threshold, no account, nothing under it)."""
    if company.cash_alert_threshold is None:
        return ""
    if not BankAccount.objects.filter(company=company, active=True).exists():
        return ""
    result = forecast(company, today)
    from encaisse.money import format_eur

    if result.below_now:
        return (
            f"Trésorerie : le solde des comptes ({format_eur(result.balance)}) est sous le "
            f"seuil d'alerte de {format_eur(result.threshold)}."
        )
    week = result.first_below
    if week is not None:
        return (
            f"Trésorerie : le solde prévisionnel passe sous le seuil d'alerte de "
            f"{format_eur(result.threshold)} la semaine du {week.start:%d/%m/%Y} "
            f"({format_eur(week.closing)})."
        )
    return ""
