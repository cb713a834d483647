"""Scoring a bank line's candidates against an in-memory book.

The services load the company's open items once (stored open amounts) into a `Book`:
indexes by amount in cents, by invoice number (year, sequence), by IBAN, by name token.
`Book.decide(line)` reads the line's texts and returns its candidates, scored 0-100 with
their reasons in French, and whether the best one may be applied without a person.
`Book.consume(candidate)` takes what an applied match settled out of the indexes, so the
next lines see the book as it now is. Amounts are integer cents here.

Scores (capped at 100; the threshold is the services' AUTO_THRESHOLD, 85):
  RF creditor reference of the invoice        +55
  n° of the invoice in the texts              +50 (+15 when one typing slip away)
  another open document's n° in the texts     -20
  amount equal                                +35 (within the write-off tolerance +25;
                                                   clearly partial, with the n°, +10)
  the payer's IBAN known for the customer     +30
  the payer's name ≈ the customer's           +25 (≥ 92) / +15 (≥ 82)
  due date near the booking date              +5
  the only open document of this amount       +10
Payments recorded by hand, cheque remittance slips, direct-debit batches and refunds
have their own (see the methods). Never applied without a person: a line whose
best candidates name two customers within 20 points of each other.
"""

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from .text import (
    find_numbers,
    find_rf,
    fold,
    near_sequences,
    normalise_name,
    parse_number,
    payer_from_label,
)

AMBIGUITY_MARGIN = 20
MAX_AMOUNT_HITS = 8  # an amount shared by more open documents says nothing alone
SUBSET_ITEMS = 15  # the oldest open items of a customer tried in sums
SUBSET_SIZE = 4


def cents(amount) -> int:
    return int((amount * 100).to_integral_value())


def euros(value: int) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole = f"{value // 100:,}".replace(",", "\u202f")
    return f"{sign}{whole},{value % 100:02d} €"


@dataclass
class Item:
    """An open installment."""

    id: int
    customer: int
    invoice: int
    number: str
    due: dt.date
    open: int
    position: int = 1


@dataclass
class NoteCredit:
    """What an issued credit note still holds."""

    id: int
    customer: int
    number: str
    open: int


@dataclass
class HandPayment:
    id: int
    customer: int
    amount: int
    date: dt.date
    method: str
    reference: str = ""


@dataclass
class Slip:
    id: int
    number: int
    date: dt.date
    total: int


@dataclass
class RefundRow:
    id: int
    customer: int
    amount: int
    date: dt.date


@dataclass
class Rule:
    id: int
    needle: str  # folded
    direction: str
    min_amount: int | None
    max_amount: int | None
    account: str
    label: str


@dataclass
class LineIn:
    id: int
    amount: int
    booking_date: dt.date
    label: str = ""
    remittance: str = ""
    end_to_end: str = ""
    creditor_reference: str = ""
    counterparty_name: str = ""
    counterparty_iban: str = ""
    account_iban: str = ""
    rf: dict = field(default_factory=dict)  # invoice id -> the RF reference naming it

    @property
    def text(self) -> str:
        return " ".join([self.label, self.remittance, self.end_to_end, self.creditor_reference])

    @property
    def words(self) -> set:
        """The folded words of the texts (computed once)."""
        cached = self.__dict__.get("_words")
        if cached is None:
            cached = self.__dict__["_words"] = set(fold(self.text).split())
        return cached


@dataclass
class Candidate:
    kind: str  # installments | payment | payments | remittance | refund | rule
    customer: int | None = None
    items: list = field(default_factory=list)  # [(item id, cents)]
    notes: list = field(default_factory=list)  # [(note id, cents)]
    write_off: int = 0
    write_offs: list = field(default_factory=list)  # [(item id, cents)] of write_off
    payments: list = field(default_factory=list)
    remittance: int | None = None
    refund: int | None = None
    account: str = ""
    label: str = ""
    score: int = 0
    reasons: list = field(default_factory=list)
    exact: bool = False  # the amount is exactly what it settles
    partial: bool = False
    manual_only: bool = False  # shown to a person, never applied alone

    @property
    def explanation(self) -> str:
        return ", ".join(self.reasons)

    def key(self):
        return (
            self.kind,
            self.customer,
            tuple(sorted(self.items)),
            tuple(sorted(self.notes)),
            tuple(sorted(self.payments)),
            self.remittance,
            self.refund,
            self.account,
        )


@dataclass
class Decision:
    line: LineIn
    candidates: list  # best first
    auto: Candidate | None = None
    blocked: str = ""  # why the best was not applied alone


class Book:
    def __init__(
        self,
        *,
        items=(),
        notes=(),
        customers=None,
        ibans=None,
        name_memory=None,
        payments=(),
        slips=(),
        refunds=(),
        rules=(),
        own_ibans=(),
        rf=None,
        tolerance: int = 500,
        threshold: int = 85,
        prefixes=("FA", "AV"),
    ):
        self.tolerance = tolerance
        self.threshold = threshold
        self.invoice_prefix, self.note_prefix = prefixes
        self.items: dict[int, Item] = {}
        self.by_customer: dict[int, list[int]] = defaultdict(list)
        self.by_invoice: dict[int, list[int]] = defaultdict(list)
        self.by_amount: dict[int, set] = defaultdict(set)  # cents -> {("i", id) | ("v", inv)}
        self.by_number: dict[tuple, list] = defaultdict(list)  # (year, seq) -> [("v"|"n", id)]
        self.invoice_customer: dict[int, int] = {}
        self.invoice_number: dict[int, str] = {}
        for item in sorted(items, key=lambda i: (i.due, i.position, i.id)):
            self.items[item.id] = item
            self.by_customer[item.customer].append(item.id)
            self.by_invoice[item.invoice].append(item.id)
            self.invoice_customer[item.invoice] = item.customer
            self.invoice_number[item.invoice] = item.number
        for invoice, number in self.invoice_number.items():
            parsed = parse_number(number)
            if parsed:
                self.by_number[parsed[1:]].append(("v", invoice))
        self.invoice_open: dict[int, int] = defaultdict(int)
        for item in self.items.values():
            self._index_amount(item.id)
            self.invoice_open[item.invoice] += item.open
        for invoice in self.by_invoice:
            self._index_invoice(invoice)
        self.notes: dict[int, NoteCredit] = {n.id: n for n in notes}
        self.notes_by_customer: dict[int, list[int]] = defaultdict(list)
        for note in self.notes.values():
            self.notes_by_customer[note.customer].append(note.id)
            parsed = parse_number(note.number)
            if parsed:
                self.by_number[parsed[1:]].append(("n", note.id))
        self.customers = customers or {}  # id -> legal name
        self.customer_key = {c: normalise_name(n) for c, n in self.customers.items()}
        self.tokens: dict[str, set] = defaultdict(set)
        for customer, key in self.customer_key.items():
            for token in set(key.split()):
                self.tokens[token].add(customer)
        self.name_memory: dict[str, set] = defaultdict(set)
        for name, customer in name_memory or ():
            self.name_memory[name].add(customer)
        self.ibans: dict[str, set] = defaultdict(set)
        for iban, customer in ibans or ():
            self.ibans[iban].add(customer)
        self.payments = {p.id: p for p in payments}
        self.payments_by_amount: dict[int, set] = defaultdict(set)
        self.direct_debits_by_date: dict[dt.date, set] = defaultdict(set)
        for p in self.payments.values():
            self.payments_by_amount[p.amount].add(p.id)
            if p.method == "direct_debit":
                self.direct_debits_by_date[p.date].add(p.id)
        self.slips = {s.id: s for s in slips}
        self.refunds = {r.id: r for r in refunds}
        self.rules = list(rules)
        self.own_ibans = set(own_ibans)
        self.rf = rf or {}  # compact RF reference -> invoice id

    # -------------------------------------------------------------- indexes

    def _index_amount(self, item_id: int) -> None:
        item = self.items[item_id]
        if item.open > 0:
            self.by_amount[item.open].add(("i", item_id))

    def _index_invoice(self, invoice: int) -> None:
        ids = [i for i in self.by_invoice[invoice] if self.items[i].open > 0]
        if len(ids) > 1:
            self.by_amount[sum(self.items[i].open for i in ids)].add(("v", invoice))

    def _unindex_invoice(self, invoice: int) -> None:
        ids = [i for i in self.by_invoice[invoice] if self.items[i].open > 0]
        if len(ids) > 1:
            self.by_amount[sum(self.items[i].open for i in ids)].discard(("v", invoice))

    def consume(self, candidate: Candidate) -> None:
        """Take what an applied candidate settled out of the book."""
        touched = {self.items[i].invoice for i, _ in candidate.items}
        for invoice in touched:
            self._unindex_invoice(invoice)
        settled: dict[int, int] = defaultdict(int)
        for item_id, amount in candidate.items + candidate.write_offs:
            settled[item_id] += amount
        # The notes' share is inside the items' amounts (see _candidate).
        for item_id, amount in settled.items():
            item = self.items[item_id]
            self.by_amount[item.open].discard(("i", item_id))
            item.open -= amount
            self.invoice_open[item.invoice] -= amount
            if item.open < 0:
                raise AssertionError(f"over-allocated item {item_id}")
            self._index_amount(item_id)
        for note_id, amount in candidate.notes:
            self.notes[note_id].open -= amount
        for invoice in touched:
            self._index_invoice(invoice)
        for pid in candidate.payments:
            payment = self.payments.pop(pid, None)
            if payment:
                self.payments_by_amount[payment.amount].discard(pid)
                self.direct_debits_by_date[payment.date].discard(pid)
        if candidate.remittance:
            self.slips.pop(candidate.remittance, None)
        if candidate.refund:
            self.refunds.pop(candidate.refund, None)

    def open_items(self, customer: int) -> list[Item]:
        return [self.items[i] for i in self.by_customer.get(customer, ()) if self.items[i].open > 0]

    def invoice_items(self, invoice: int) -> list[Item]:
        return [self.items[i] for i in self.by_invoice.get(invoice, ()) if self.items[i].open > 0]

    # -------------------------------------------------------------- signals

    def _numbers(self, line: LineIn):
        """({invoice ids named}, {note ids named}, {invoice id: written}, {note id: written})
        exact, then one typing slip away."""
        exact_v, exact_n, near_v, near_n = set(), set(), {}, {}
        for prefix, year, digits in find_numbers(line.text):
            kinds = {"v", "n"}
            if prefix == self.note_prefix:
                kinds = {"n"}
            elif prefix == self.invoice_prefix:
                kinds = {"v"}
            for kind, pk in self.by_number.get((year, int(digits)), ()):
                if kind in kinds:
                    (exact_v if kind == "v" else exact_n).add(pk)
            if len(digits) >= 3 or prefix:
                written = f"{prefix}{year}-{digits}"
                for seq in near_sequences(digits):
                    for kind, pk in self.by_number.get((year, seq), ()):
                        # A near number counts with the amount only: the invoice's open
                        # amount equal, or within the write-off tolerance.
                        if kind == "v" and "v" in kinds:
                            gap = self.invoice_open.get(pk, 0) - line.amount
                            if 0 <= gap <= self.tolerance:
                                near_v.setdefault(pk, written)
        for ref in find_rf(line.text):
            invoice = self.rf.get(ref)
            if invoice is not None:
                exact_v.add(invoice)
                line.rf[invoice] = ref
            else:  # an RF built on our number: RFkkFA202600123
                for _, year, digits in find_numbers(ref[4:]):
                    for kind, pk in self.by_number.get((year, int(digits)), ()):
                        if kind == "v":
                            exact_v.add(pk)
                            line.rf[pk] = ref
        for pk in exact_v:
            near_v.pop(pk, None)
        for pk in exact_n:
            near_n.pop(pk, None)
        return exact_v, exact_n, near_v, near_n

    def _payer_scores(self, line: LineIn) -> dict[int, int]:
        """{customer: name similarity 0-100} of the customers the payer's name evokes."""
        name = line.counterparty_name or payer_from_label(line.label)
        key = normalise_name(name)
        if not key:
            return {}
        scores = {c: 100 for c in self.name_memory.get(key, ())}
        # The customers sharing the payer's rarest words (a surname before « BOULANGERIE »).
        shortlist = set()
        owners_of = sorted(
            (owners for token in key.split() if (owners := self.tokens.get(token))), key=len
        )
        for rank, owners in enumerate(owners_of):
            if len(owners) > 300 or (rank >= 2 and len(shortlist) >= 40):
                break
            shortlist |= owners
        keys = self.customer_key
        choices = {customer: keys[customer] for customer in shortlist}
        for _, ratio, customer in process.extract(
            key, choices, scorer=fuzz.token_sort_ratio, score_cutoff=70, limit=None
        ):
            scores[customer] = max(scores.get(customer, 0), int(ratio))
        if len(key) >= 10:  # a truncated name, when it names one customer only
            starting = [c for c, target in choices.items() if target.startswith(key)]
            if len(starting) == 1:
                scores[starting[0]] = max(scores.get(starting[0], 0), 95)
        return scores

    # -------------------------------------------------------------- candidates

    def decide(self, line: LineIn) -> Decision:
        rule = self._rule(line)
        if rule:
            return Decision(line, [rule], auto=rule)
        if line.amount < 0:
            return self._debit(line)
        exact_v, exact_n, near_v, _ = self._numbers(line)
        names = self._payer_scores(line)
        iban_customers = self.ibans.get(line.counterparty_iban, set())
        found: dict = {}

        def add(candidate):
            if candidate is None:
                return
            key = candidate.key()
            if key not in found or found[key].score < candidate.score:
                found[key] = candidate

        # Documents named (exactly or nearly), by customer.
        named_by_customer = defaultdict(lambda: (set(), set(), {}, {}))
        for pk in exact_v:
            named_by_customer[self.invoice_customer[pk]][0].add(pk)
        for pk in exact_n:
            if self.notes[pk].open > 0:
                named_by_customer[self.notes[pk].customer][1].add(pk)
        for pk, written in near_v.items():
            named_by_customer[self.invoice_customer[pk]][2][pk] = written
        for customer, (ev, en, nv, _) in named_by_customer.items():
            for candidate in self._named(line, customer, ev, en, nv):
                add(candidate)
        # Customers the payer's IBAN or name points to.
        close = sorted((c for c, s in names.items() if s >= 82), key=lambda c: -names[c])
        known = set(iban_customers) | set(close[:5])
        for customer in known - set(named_by_customer):
            for candidate in self._by_amount_of(line, customer):
                add(candidate)
        # The amount alone.
        hits = self.by_amount.get(line.amount, ())
        if 0 < len(hits) <= MAX_AMOUNT_HITS:
            for kind, pk in hits:
                items = [self.items[pk]] if kind == "i" else self.invoice_items(pk)
                add(self._candidate(line, items, unique=len(hits) == 1))
        # Records already there: payments by hand, slips, direct-debit batches.
        for candidate in self._records(line, names, iban_customers):
            add(candidate)
        candidates = list(found.values())
        for candidate in candidates:
            if candidate.kind == "installments":
                self._score_customer(line, candidate, names, iban_customers, exact_v)
        return self._choose(line, candidates)

    def _rule(self, line: LineIn) -> Candidate | None:
        iban = line.counterparty_iban
        if iban and iban in self.own_ibans and iban != line.account_iban:
            return Candidate(
                "rule",
                account="580",
                label="Virement interne",
                score=100,
                reasons=["virement entre comptes de la société (IBAN de la contrepartie)"],
            )
        text = fold(f"{line.label} {line.remittance}")
        for rule in self.rules:
            if rule.needle not in text:
                continue
            if rule.direction == "credit" and line.amount < 0:
                continue
            if rule.direction == "debit" and line.amount > 0:
                continue
            size = abs(line.amount)
            if rule.min_amount is not None and size < rule.min_amount:
                continue
            if rule.max_amount is not None and size > rule.max_amount:
                continue
            return Candidate(
                "rule",
                account=rule.account,
                label=rule.label,
                score=100,
                reasons=[f"règle « libellé contient {rule.needle} » → {rule.account}"],
            )
        return None

    def _candidate(
        self, line, items, notes=(), reasons=(), *, unique=False, partial=False, short=False
    ):
        """Settle `items` (oldest first) with the line (+ `notes` used): exact, within
        the tolerance (a write-off), or partial when allowed; else None."""
        if not items:
            return None
        customer = items[0].customer
        total = sum(i.open for i in items)
        note_rows = [(n.id, n.open) for n in notes]
        credit = sum(a for _, a in note_rows)
        due = total - credit
        if due <= 0:
            return None
        reasons = list(reasons)
        gap = due - line.amount
        write_off = 0
        if gap == 0:
            reasons.append("montant égal")
            bonus = 35
        elif 0 < gap <= self.tolerance:
            write_off = gap
            reasons.append(f"écart de {euros(gap)} (frais) passé en pertes")
            bonus = 25
        elif gap > 0 and partial:
            reasons.append(f"paiement partiel ({euros(line.amount)} sur {euros(due)})")
            bonus = 10
        elif gap > 0 and short:
            reasons.append(f"écart de {euros(gap)} au-delà du seuil des pertes")
            bonus = -10
        else:
            return None
        if unique:
            reasons.append("seul document ouvert de ce montant")
            bonus += 10
        # Credit notes first on the items in order, the line on the rest, up to its
        # amount (a partial payment stops where the money does).
        allocation, left_note, left_line = [], credit, line.amount
        for item in items:
            room = item.open
            take_note = min(room, left_note)
            left_note -= take_note
            room -= take_note
            take = min(room, left_line)
            left_line -= take
            if take_note + take > 0:
                allocation.append((item.id, take_note + take))
        write_offs, rest = [], write_off
        for item in items:
            if rest <= 0:
                break
            given = dict(allocation).get(item.id, 0)
            take = min(item.open - given, rest)
            if take > 0:
                write_offs.append((item.id, take))
                rest -= take
        candidate = Candidate(
            "installments",
            customer=customer,
            items=allocation,
            write_offs=write_offs,
            notes=note_rows,
            write_off=write_off,
            score=bonus,
            reasons=reasons,
            exact=gap == 0,
            partial=gap > self.tolerance,
            manual_only=gap > self.tolerance and not partial,
        )
        near = [i for i in items if abs((i.due - line.booking_date).days) <= 45]
        if near:
            candidate.score += 5
            candidate.reasons.append("échéance proche")
        return candidate

    def _named(self, line, customer, invoices, notes, near):
        """Candidates of the documents of `customer` named in the texts."""
        out = []
        note_rows = [self.notes[n] for n in sorted(notes)]
        partial_words = bool(line.words & {"ACOMPTE", "PARTIEL", "ACPT", "SOLDE"})
        if invoices:
            items = [i for inv in sorted(invoices) for i in self.invoice_items(inv)]
            items.sort(key=lambda i: (i.due, i.position, i.id))
            numbers = ", ".join(sorted({i.number for i in items}))
            reason = f"n° {numbers} dans le libellé"
            base = 50
            refs = sorted({line.rf[i] for i in invoices if i in line.rf})
            if refs and len(refs) == len(invoices):
                reason = f"référence {', '.join(refs)} de {numbers}"
                base = 55
            for with_notes in (note_rows, []):
                total = sum(i.open for i in items) - sum(n.open for n in with_notes)
                clearly_partial = line.amount * 10 <= total * 9 or partial_words
                candidate = self._candidate(
                    line,
                    items,
                    with_notes,
                    [reason]
                    + (
                        [f"avoir {', '.join(n.number for n in with_notes)} déduit"]
                        if with_notes
                        else []
                    ),
                    partial=clearly_partial,
                    short=True,
                )
                if candidate:
                    candidate.score += base
                    out.append(candidate)
                    break
            # One installment of a schedule.
            for item in items:
                if len(items) > 1 and item.open == line.amount:
                    candidate = self._candidate(
                        line, [item], (), [f"{reason} (échéance {item.position})"]
                    )
                    candidate.score += base
                    out.append(candidate)
            # The invoice minus a credit note of the customer not named.
            if not out:
                for note_id in self.notes_by_customer.get(customer, ()):
                    note = self.notes[note_id]
                    if note.open <= 0 or note_id in notes:
                        continue
                    candidate = self._candidate(
                        line, items, [note], [reason, f"avoir {note.number} déduit"]
                    )
                    if candidate and candidate.write_off == 0:
                        candidate.score += base - 10
                        out.append(candidate)
            # The named invoices and other open items of the customer.
            if not out:
                rest = [i for i in self.open_items(customer) if i.invoice not in invoices]
                extra = line.amount - sum(i.open for i in items)
                if extra > 0:
                    for combo in self._subsets(rest[:SUBSET_ITEMS], extra, 2):
                        candidate = self._candidate(
                            line,
                            sorted(items + list(combo), key=lambda i: (i.due, i.id)),
                            (),
                            [reason, "et d'autres factures du client"],
                        )
                        if candidate:
                            candidate.score += base - 15
                            out.append(candidate)
                            break
        for invoice, written in near.items():
            items = self.invoice_items(invoice)
            if not items:
                continue
            candidate = self._candidate(
                line,
                items,
                (),
                [f"n° approchant {items[0].number} (« {written} » dans le libellé)"],
            )
            if candidate:
                candidate.score += 15
                out.append(candidate)
        return out

    def _subsets(self, items, target: int, max_size: int = SUBSET_SIZE):
        values = [i for i in items if 0 < i.open <= target]
        for size in range(1, max_size + 1):
            for combo in itertools.combinations(values, size):
                if sum(i.open for i in combo) == target:
                    yield combo

    def _by_amount_of(self, line, customer):
        """Candidates among a customer's open items, from the amount."""
        items = self.open_items(customer)
        out = []
        for item in items:  # one installment, exact or within tolerance
            if 0 <= item.open - line.amount <= self.tolerance:
                out.append(self._candidate(line, [item]))
        seen_invoices = set()
        for item in items:  # one invoice with several installments
            if item.invoice in seen_invoices:
                continue
            seen_invoices.add(item.invoice)
            whole = self.invoice_items(item.invoice)
            if len(whole) > 1 and 0 <= sum(i.open for i in whole) - line.amount <= self.tolerance:
                out.append(self._candidate(line, whole))
        for note_id in self.notes_by_customer.get(customer, ()):  # an invoice minus a note
            note = self.notes[note_id]
            if note.open <= 0:
                continue
            for item in items:
                if item.open - note.open == line.amount:
                    out.append(
                        self._candidate(line, [item], [note], [f"avoir {note.number} déduit"])
                    )
        if not out:  # several invoices of the customer
            for combo in self._subsets(items[:SUBSET_ITEMS], line.amount):
                if len(combo) > 1:
                    candidate = self._candidate(line, list(combo))
                    candidate.reasons.insert(0, f"{len(combo)} factures du client")
                    out.append(candidate)
                    break
            else:
                total = sum(i.open for i in items)
                if len(items) > SUBSET_SIZE and total == line.amount:
                    candidate = self._candidate(line, items)
                    candidate.reasons.insert(0, "toutes les factures ouvertes du client")
                    out.append(candidate)
        return [c for c in out if c]

    def _score_customer(self, line, candidate, names, iban_customers, named_invoices):
        customer = candidate.customer
        if customer in iban_customers:
            candidate.score += 30
            candidate.reasons.append("IBAN connu")
        similarity = names.get(customer, 0)
        if similarity >= 95:
            candidate.score += 40
            candidate.reasons.append("nom du payeur = client")
        elif similarity >= 88:
            candidate.score += 30
            candidate.reasons.append("nom du payeur ≈ client")
        elif similarity >= 82:
            candidate.score += 15
            candidate.reasons.append("nom du payeur proche du client")
        # The texts name exactly an open invoice of this customer that the candidate
        # does not settle: the payer meant another one.
        named_here = {i for i in named_invoices if self.invoice_customer.get(i) == customer}
        if named_here and not any(self.items[i].invoice in named_here for i, _ in candidate.items):
            candidate.score -= 20
            candidate.reasons.append("le libellé cite un autre n°")
        # The only open document of this amount at the customer's.
        if candidate.exact and len(candidate.items) == 1 and not candidate.notes:
            same = sum(1 for i in self.open_items(customer) if i.open == line.amount)
            if same == 1 and "seul document ouvert de ce montant" not in candidate.reasons:
                candidate.score += 10
                candidate.reasons.append("seul document de ce montant chez le client")

    def _records(self, line, names, iban_customers):
        """Candidates already recorded: a payment by hand, a slip, a direct-debit batch."""
        out = []
        words = line.words
        for pid in self.payments_by_amount.get(line.amount, ()):
            payment = self.payments[pid]
            days = abs((payment.date - line.booking_date).days)
            if days > 10:
                continue
            reasons = ["règlement déjà saisi du même montant"]
            score = 40
            if days <= 3:
                score += 20
                reasons.append("à une date proche")
            if payment.customer in iban_customers:
                score += 30
                reasons.append("IBAN connu")
            similarity = names.get(payment.customer, 0)
            if similarity >= 82:
                score += 40 if similarity >= 95 else 30 if similarity >= 88 else 15
                reasons.append("nom du payeur = client")
            out.append(
                Candidate(
                    "payment",
                    customer=payment.customer,
                    payments=[pid],
                    score=score,
                    reasons=reasons,
                )
            )
        cheque_words = {"CHQ", "CHEQUE", "CHEQUES", "CHQS", "REMISE", "REM"}
        same_total = [
            s for s in self.slips.values() if s.total == line.amount and s.date <= line.booking_date
        ]
        for slip in same_total:
            score, reasons = 45, ["montant égal au total du bordereau"]
            if len(same_total) == 1:
                score += 15
                reasons.append("seul bordereau de ce montant")
            if words & cheque_words:
                score += 20
                reasons.append("remise de chèques")
            if str(slip.number) in words or f"{slip.number:05d}" in words:
                score += 30
                reasons.append(f"bordereau n° {slip.number} dans le libellé")
            if (line.booking_date - slip.date).days <= 10:
                score += 5
            out.append(Candidate("remittance", remittance=slip.id, score=score, reasons=reasons))
        dd_words = {"PRLV", "PRELEVEMENT", "SDD", "PRELEVEMENTS"}
        for day in sorted(self.direct_debits_by_date):
            if abs((day - line.booking_date).days) > 7:
                continue
            ids = sorted(self.direct_debits_by_date[day])
            if len(ids) > 1 and sum(self.payments[i].amount for i in ids) == line.amount:
                score, reasons = 55, [f"total des {len(ids)} prélèvements du {day:%d/%m/%Y}"]
                if words & dd_words:
                    score += 35
                    reasons.append("remise de prélèvements")
                out.append(Candidate("payments", payments=ids, score=score, reasons=reasons))
        return out

    def _debit(self, line) -> Decision:
        names = self._payer_scores(line)
        out = []
        for refund in self.refunds.values():
            if refund.amount != -line.amount:
                continue
            days = abs((refund.date - line.booking_date).days)
            if days > 15:
                continue
            score, reasons = 45, ["remboursement du même montant"]
            if days <= 5:
                score += 20
                reasons.append("à une date proche")
            if names.get(refund.customer, 0) >= 82:
                score += 25
                reasons.append("nom du bénéficiaire = client")
            out.append(
                Candidate(
                    "refund",
                    customer=refund.customer,
                    refund=refund.id,
                    score=score,
                    reasons=reasons,
                )
            )
        return self._choose(line, out)

    def _choose(self, line, candidates) -> Decision:
        # A payment of the customer already typed by hand for this amount is the money
        # the bank received: matching the invoices again would record it twice.
        typed = {c.customer for c in candidates if c.kind == "payment"}
        if typed:
            candidates = [
                c for c in candidates if not (c.kind == "installments" and c.customer in typed)
            ]
        exact_customers = {c.customer for c in candidates if c.exact}
        if exact_customers:
            for candidate in candidates:
                if candidate.partial and candidate.customer in exact_customers:
                    candidate.score -= 25
                    candidate.reasons.append("un autre document a exactement ce montant")
        for candidate in candidates:
            candidate.score = max(0, min(100, candidate.score))
        candidates.sort(
            key=lambda c: (-c.score, self.items[c.items[0][0]].due if c.items else dt.date.min)
        )
        decision = Decision(line, candidates[:10])
        if not candidates or candidates[0].score < self.threshold:
            return decision
        if candidates[0].manual_only:
            decision.blocked = "écart au-delà du seuil"
            return decision
        best = candidates[0]
        for other in candidates[1:]:
            if other.score < best.score - AMBIGUITY_MARGIN:
                break
            if (
                other.customer == best.customer
                and best.score - other.score <= 5
                and other.kind == best.kind == "installments"
            ):
                decision.blocked = "plusieurs factures du client de ce montant"
                return decision
            if other.customer != best.customer:
                decision.blocked = (
                    "deux clients possibles"
                    if other.customer != best.customer
                    else "plusieurs rapprochements possibles"
                )
                return decision
        decision.auto = best
        return decision
