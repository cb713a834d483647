"""The report lane's endpoints: the état de rapprochement of an account on a date, and the
13-week cash forecast."""

from django.utils import timezone
from ninja import Query, Router

from encaisse.banking.cash import forecast
from encaisse.banking.reconciliation_report import (
    account_of,
    closed_until,
    reconciliation_report,
    residual_explanation,
)

from ..errors import READ, responses
from ..schemas.banking_report import (
    BankReconciliationFilters,
    BankReconciliationOut,
    CashForecastOut,
)
from . import as_of_date

router = Router(tags=["rapports"])


@router.get(
    "/bank-reconciliation",
    response=responses({200: BankReconciliationOut}, READ, 404),
    summary="État de rapprochement d'un compte bancaire à une date",
)
def get_bank_reconciliation(request, filters: Query[BankReconciliationFilters]):
    account = account_of(request.company, filters.account)
    as_of = as_of_date(filters.as_of)
    offsets = dict.fromkeys(("cheques", "issued", "receipts", "debits", "credits"), filters.offset)
    report = reconciliation_report(account, as_of, offsets=offsets, limit=filters.limit)
    bank = report.bank
    return {
        "account": account.pk,
        "as_of": as_of,
        "old_days": report.old_days,
        "book_balance": report.book_balance,
        "bank": {
            "amount": bank.amount,
            "statement": bank.statement_reference,
            "base_date": bank.base_date,
            "base_balance": bank.base_balance,
            "from_opening": bank.from_opening,
            "lines_after": bank.lines_after,
            "lines_after_count": bank.lines_after_count,
            "gaps": [
                {
                    "statement": g.reference,
                    "closing_date": g.closing_date,
                    "balance_gap": g.balance_gap,
                    "chain_gap": g.chain_gap,
                }
                for g in bank.gaps
            ],
        },
        "book_items": report.book_items,
        "bank_items": report.bank_items,
        "adjusted_book": report.adjusted_book,
        "residual": report.residual,
        "residual_note": residual_explanation(report),
        "closed_until": closed_until(account),
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "side": s.side,
                "count": s.count,
                "total": s.total,
                "old_count": s.old_count,
                "items": s.items,
            }
            for s in report.sections
        ],
    }


@router.get(
    "/cash-forecast",
    response=responses({200: CashForecastOut}),
    summary="Trésorerie : soldes en date de valeur et prévision sur 13 semaines",
)
def get_cash_forecast(request):
    result = forecast(request.company, timezone.localdate())
    return {
        "today": result.today,
        "balance": result.balance,
        "accounts": [{"account": a.pk, "name": a.name, "balance": b} for a, b in result.accounts],
        "weeks": result.weeks,
        "overdue": result.overdue,
        "overdue_count": result.overdue_count,
        "later": result.later,
        "later_count": result.later_count,
        "threshold": result.threshold,
        "alert": result.alert,
    }
