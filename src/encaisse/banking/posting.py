"""The bank reconciliation's journal entries: a line assigned to an account, and the
reversing entries of an undo. Posted through ledger.posting's one writer (balanced,
numbered under the company's entry lock), in the caller's transaction."""

from encaisse.ledger import chart
from encaisse.ledger.models import Journal
from encaisse.ledger.posting import _post
from encaisse.money import ZERO


def post_assignment(operation, line, account: str, label: str):
    """Bank journal: the bank's 512x against `account` (a credit line: 512x debit; a
    debit line: `account` debit)."""
    bank = line.account.ledger_account or chart.BANK
    amount = abs(line.amount)
    if line.amount > 0:
        lines = [(bank, None, amount, ZERO), (account, None, ZERO, amount)]
    else:
        lines = [(account, None, amount, ZERO), (bank, None, ZERO, amount)]
    return _post(
        line.company,
        Journal.BANK,
        date=line.booking_date,
        label=label,
        piece_ref=f"REL{line.pk}",
        piece_date=line.booking_date,
        source=operation,
        lines=lines,
    )


def post_assignment_reversal(undo, entry, on):
    """The assignment's entry reversed, dated `on` (entries are never changed)."""
    lines = [
        (jl.account.number, jl.customer, jl.credit, jl.debit)
        for jl in entry.lines.select_related("account", "customer")
    ]
    return _post(
        undo.company,
        Journal.BANK,
        date=on,
        label=f"Annulation : {entry.label}",
        piece_ref=entry.piece_ref,
        piece_date=on,
        source=undo,
        lines=lines,
    )


def post_write_offs_reversal(undo, write_offs, on):
    """The write-offs a match made, reversed: 411 (customer) against 658."""
    lines = []
    for loss in write_offs:
        lines.append((chart.CUSTOMERS, loss.customer, loss.amount, ZERO))
        lines.append((chart.LOSSES, None, ZERO, loss.amount))
    return _post(
        undo.company,
        Journal.MISC,
        date=on,
        label="Annulation d'écarts de règlement (rapprochement défait)",
        piece_ref=", ".join(w.number for w in write_offs)[:50],
        piece_date=on,
        source=undo,
        lines=lines,
    )
