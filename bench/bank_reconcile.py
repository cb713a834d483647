#!/usr/bin/env python
"""Benchmark: the bank reconciliation engine over a large book and noisy statement lines.

    python bench/bank_reconcile.py [--invoices 30000] [--customers 6000] [--lines 5000]
        [--seed 7]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/bank_reconcile.py

SQLite in a throwaway folder by default; with DATABASE_URL a throwaway PostgreSQL
database (ENCAISSE_BENCH_DB, default encaisse_bench_bank) is created and dropped.

The book is bulk-inserted (as bench/receivables.py loads its book, without the services:
no ledger entries nor audit for the book itself): customers with French trade names (a
few pairs deliberately alike: « Boulangerie Dupont » / « Boulangerie Dupond »), issued
invoices FA2026-nnnnn all open (one installment, 4 % with a schedule of two), credit
notes AV2026-nnnnn whose credit is unused, IBANs known from earlier payments or from the
payers' memory for 60 % of the customers, cheques on remittance slips, direct debits
collected, payments recorded by hand not yet matched, and the company's rules (fees,
card commission, interest). Then the statement lines, with the label noise of French
banks and the TRUTH kept aside (what a person would match each line to, or None when no
one could decide from the bank's data and the book):

  one invoice by number (exact, « FA 2026 123 », « 2026-00123 », « FA202600123 »,
  « FA2026-0123 », truncated labels with the number in the remittance text), a wrong
  digit with a known IBAN, several invoices in one transfer, an invoice minus a credit
  note, a partial payment (« ACOMPTE »), a fee deducted under the threshold, the payer
  ≠ the customer (a parent company) with the number, a known IBAN and no number, an
  installment of a schedule, a cheque remittance, a direct-debit batch, a payment
  recorded by hand; undecidable: unknown payers and amounts, two customers alike with
  equal amounts and no number, card payments, salaries; rules: bank fees, interest.

The engine runs through `reconcile` (matches applied through the services, one
transaction per line, as in production). Printed: lines, decidable lines, matched
automatically (% of decidable, correct ones only), wrong automatic matches (per 1,000
lines), proposals, left, and the time: loading the book + scoring (engine), applying,
total.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("ENCAISSE_BENCH_DB", "encaisse_bench_bank")
# bench/cpu.py and bench/issue_invoices.py, beside this script (the latter sets the data
# folder and the settings module).
from cpu import backend_cpu
from issue_invoices import (
    database_version,
    drop_postgres,
    machine,
    prepare_postgres,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

YEAR = 2026
WORDS = [
    "Boulangerie",
    "Garage",
    "Transports",
    "Menuiserie",
    "Pharmacie",
    "Cabinet",
    "Hôtel",
    "Restaurant",
    "Plomberie",
    "Électricité",
    "Imprimerie",
    "Librairie",
    "Fromagerie",
    "Boucherie",
    "Charpente",
    "Couverture",
    "Peinture",
    "Maçonnerie",
    "Jardins",
    "Optique",
    "Atelier",
    "Studio",
    "Conseil",
    "Informatique",
    "Architecture",
    "Ambulances",
    "Taxis",
    "Auto-école",
    "Coiffure",
    "Fleurs",
    "Vins",
    "Brasserie",
    "Pâtisserie",
    "Quincaillerie",
    "Serrurerie",
]
SURNAMES = [
    "Dupont",
    "Martin",
    "Bernard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martinez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Leclercq",
    "Guillaume",
    "Lecomte",
    "Lopez",
    "Jean",
    "Dupuy",
    "Guillot",
    "Hubert",
    "Berger",
]
CITIES = [
    "Lyon",
    "Paris",
    "Marseille",
    "Lille",
    "Nantes",
    "Rennes",
    "Bordeaux",
    "Toulouse",
    "Nice",
    "Dijon",
    "Metz",
    "Brest",
    "Caen",
    "Tours",
    "Angers",
    "Reims",
    "Grenoble",
    "Limoges",
    "Amiens",
    "Nancy",
    "Rouen",
    "Nîmes",
    "Annecy",
    "Valence",
    "Vannes",
]
FORMS = ["SARL", "SAS", "SA", "EURL", "SASU", "SCI", "SNC", ""]
TAILS = ["", "", "", " et Fils", " Frères", " & Associés"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=30_000)
    parser.add_argument("--customers", type=int, default=6_000)
    parser.add_argument("--lines", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--known", type=float, default=0.6, help="share of customers whose IBAN is known"
    )
    return parser.parse_args(argv)


def fold(text: str) -> str:
    from encaisse.banking.matching.text import fold as fold_

    return fold_(text)


class Generator:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.truth = {}  # line position -> (kind, expected) or None
        self.today = dt.date(YEAR, 11, 30)

    # ---------------------------------------------------------------- the book

    def names(self, n):
        rng, names, seen = self.rng, [], set()
        while len(names) < n:
            base = f"{rng.choice(WORDS)} {rng.choice(SURNAMES)}{rng.choice(TAILS)}"
            if rng.random() < 0.4:
                base += f" {rng.choice(CITIES)}"
            form = rng.choice(FORMS)
            name = f"{base} {form}".strip() if rng.random() < 0.7 else f"{form} {base}".strip()
            if fold(base) not in seen:
                seen.add(fold(base))
                names.append(name)
        return names

    def load(self):
        from django.contrib.auth import get_user_model
        from schwifty import IBAN

        from encaisse.banking.models import BankAccount, MatchRule, PayerMemory
        from encaisse.companies.services import create_company
        from encaisse.customers.models import Customer
        from encaisse.receivables.models import (
            CreditNoteCredit,
            Installment,
            Payment,
            RemittanceSlip,
        )
        from encaisse.sales.models import Invoice

        rng, args = self.rng, self.args
        self.user = get_user_model().objects.create_user("bench-bank")
        self.company = company = create_company(
            {
                "legal_name": "Banc d'Essai SAS",
                "legal_form": "SAS",
                "share_capital": "1000",
                "siren": "732829320",
                "siret": "73282932000074",
                "rcs_city": "Lyon",
                "address_line1": "1 rue du Banc",
                "postal_code": "69001",
                "city": "Lyon",
                "iban": "FR7630006000011234567890189",
            },
            owner=self.user,
        )
        self.account = BankAccount.objects.create(
            company=company, name="Compte courant", iban="FR7630006000011234567890189"
        )
        self.savings = BankAccount.objects.create(
            company=company, name="Livret", iban="FR7630004000031234567890143"
        )
        names = self.names(args.customers)
        # Traps: pairs of customers alike (one letter apart).
        twins = []
        for k in range(0, min(200, args.customers // 10), 2):
            base = names[k]
            twin = base[:-1] + ("D" if base[-1] != "D" else "T")
            names[k + 1] = twin
            twins.append((k, k + 1))
        Customer.objects.bulk_create(
            [Customer(company=company, legal_name=n, billing_city="Lyon") for n in names],
            batch_size=2000,
        )
        customers = list(
            Customer.objects.filter(company=company).order_by("pk").values_list("pk", flat=True)
        )
        self.customer_names = dict(zip(customers, names, strict=True))
        self.twins = [(customers[a], customers[b]) for a, b in twins]
        self.ibans = {
            c: IBAN.generate(
                "FR", bank_code="30004", branch_code="00001", account_code=f"{n:011d}"
            ).compact
            for n, c in enumerate(customers, start=1)
        }
        known = set(rng.sample(customers, int(len(customers) * args.known)))
        self.known_ibans = known
        start = dt.date(YEAR, 1, 5)
        invoices = []
        for n in range(1, args.invoices + 1):
            customer = rng.choice(customers)
            issued = start + dt.timedelta(days=rng.randrange(0, 300))
            amount = Decimal(rng.randrange(3_000, 900_000)) / 100
            if rng.random() < 0.15:
                amount = Decimal(rng.choice([100, 120, 150, 180, 200, 240, 300, 500, 600, 1200]))
            invoices.append(
                Invoice(
                    company=company,
                    customer_id=customer,
                    kind="invoice",
                    status="issued",
                    number=f"FA{YEAR}-{n:05d}",
                    sequence_year=YEAR,
                    sequence_number=n,
                    issue_date=issued,
                    due_date=issued + dt.timedelta(days=30),
                    delivery_date=issued,
                    terms_kind="net",
                    terms_days=30,
                    total_excl_vat=(amount / Decimal("1.2")).quantize(Decimal("0.01")),
                    total_vat=amount - (amount / Decimal("1.2")).quantize(Decimal("0.01")),
                    total_incl_vat=amount,
                )
            )
        Invoice.objects.bulk_create(invoices, batch_size=2000)
        rows = list(
            Invoice.objects.filter(company=company, kind="invoice")
            .order_by("pk")
            .values_list("pk", "customer_id", "number", "issue_date", "due_date", "total_incl_vat")
        )
        installments = []
        self.schedules = set()
        for pk, customer, _, issued, due, amount in rows:
            if rng.random() < 0.04 and amount > 100:
                first = (amount * Decimal("0.4")).quantize(Decimal("0.01"))
                parts = [(1, due, first), (2, due + dt.timedelta(days=30), amount - first)]
                self.schedules.add(pk)
            else:
                parts = [(1, due, amount)]
            for position, day, part in parts:
                installments.append(
                    Installment(
                        company=company,
                        customer_id=customer,
                        invoice_id=pk,
                        position=position,
                        due_date=day,
                        amount=part,
                        issue_date=issued,
                        open_amount=part,
                    )
                )
        Installment.objects.bulk_create(installments, batch_size=2000)
        self.invoices = {
            pk: (customer, number, amount) for pk, customer, number, _, _, amount in rows
        }
        self.by_customer = {}
        for pk, (customer, _, _) in self.invoices.items():
            self.by_customer.setdefault(customer, []).append(pk)
        self.installments = {}
        for pk, invoice, amount in Installment.objects.filter(company=company).values_list(
            "pk", "invoice_id", "amount"
        ):
            self.installments.setdefault(invoice, []).append((pk, amount))
        # Credit notes with their credit unused (on invoices of the same customer).
        notes = []
        credited = rng.sample(list(self.invoices), max(1, args.invoices // 100))
        for n, invoice in enumerate(credited, start=1):
            customer, _, amount = self.invoices[invoice]
            value = (amount * Decimal("0.1")).quantize(Decimal("0.01")) or Decimal("1.00")
            notes.append(
                Invoice(
                    company=company,
                    customer_id=customer,
                    kind="credit_note",
                    status="issued",
                    number=f"AV{YEAR}-{n:05d}",
                    sequence_year=YEAR,
                    sequence_number=n,
                    issue_date=start,
                    due_date=start,
                    delivery_date=start,
                    terms_kind="net",
                    terms_days=30,
                    credited_invoice_id=invoice,
                    total_excl_vat=value,
                    total_vat=Decimal("0.00"),
                    total_incl_vat=value,
                )
            )
        Invoice.objects.bulk_create(notes, batch_size=2000)
        self.notes = {}
        for pk, customer, number, amount in Invoice.objects.filter(
            company=company, kind="credit_note"
        ).values_list("pk", "customer_id", "number", "total_incl_vat"):
            self.notes.setdefault(customer, []).append((pk, number, amount))
        CreditNoteCredit.objects.bulk_create(
            [
                CreditNoteCredit(
                    credit_note_id=pk,
                    company=company,
                    customer_id=customer,
                    issue_date=start,
                    amount=amount,
                    unallocated_amount=amount,
                )
                for customer, rows_ in self.notes.items()
                for pk, _, amount in rows_
            ]
        )
        # IBANs known: half from an old payment, half from the payers' memory.
        old = dt.date(YEAR - 1, 6, 1)
        half = sorted(known)[: len(known) // 2]
        Payment.objects.bulk_create(
            [
                Payment(
                    company=company,
                    customer_id=c,
                    number=f"RG-OLD-{c}",
                    date=old,
                    amount=Decimal("1.00"),
                    unallocated_amount=Decimal("0.00"),
                    method="transfer",
                    bank_account=self.ibans[c],
                )
                for c in half
            ],
            batch_size=2000,
        )
        PayerMemory.objects.bulk_create(
            [
                PayerMemory(company=company, customer_id=c, iban=self.ibans[c])
                for c in sorted(known)[len(known) // 2 :]
            ],
            batch_size=2000,
        )
        MatchRule.objects.bulk_create(
            [
                MatchRule(
                    company=company,
                    label_contains=needle,
                    direction=direction,
                    account=account,
                    entry_label=label,
                    position=n,
                )
                for n, (needle, direction, account, label) in enumerate(
                    [
                        ("FRAIS", "debit", "627", "Frais bancaires"),
                        ("COMMISSION", "debit", "627", "Commissions bancaires"),
                        ("COTIS", "debit", "627", "Cotisation carte"),
                        ("INTERETS CREDITEURS", "credit", "768", "Intérêts créditeurs"),
                    ],
                    start=1,
                )
            ]
        )
        self.RemittanceSlip, self.Payment = RemittanceSlip, Payment
        self.used = set()  # invoices a line already pays (no two lines pay one invoice)

    # ---------------------------------------------------------------- the lines

    def payer_noise(self, name: str) -> str:
        rng = self.rng
        words = fold(name).split()
        forms = [w for w in words if w in {"SARL", "SAS", "SA", "EURL", "SASU", "SCI", "SNC"}]
        rest = [w for w in words if w not in forms]
        if rng.random() < 0.4:
            words = forms + rest
        elif rng.random() < 0.3:
            words = rest
        text = " ".join(words)
        if rng.random() < 0.25:
            text = text[: rng.randrange(18, 30)]
        return text

    def mangle(self, number: str) -> str:
        rng = self.rng
        prefix, rest = number[:2], number[2:]
        year, seq = rest.split("-")
        style = rng.random()
        if style < 0.45:
            return number
        if style < 0.55:
            return f"{prefix} {year} {int(seq)}"
        if style < 0.65:
            return f"{year}-{seq}"
        if style < 0.75:
            return f"{prefix}{year}{seq}"
        if style < 0.85:
            return f"{prefix}{year}-{int(seq):04d}" if int(seq) < 10000 else f"{prefix}{year}/{seq}"
        return f"FACT {prefix}{year} {seq}"

    def label(self, payer: str, motif: str, e2e: str = "") -> tuple[str, str]:
        rng = self.rng
        style = rng.random()
        e2e = e2e or f"{rng.randrange(10**9, 10**10)}"
        if style < 0.45:
            label = f"VIR SEPA RECU /DE {payer} /MOTIF {motif} /REF {e2e}"
        elif style < 0.7:
            label = f"VIREMENT DE {payer} {motif}"
        elif style < 0.85:
            label = f"VIR INST RE {payer} /MOTIF {motif}"
        else:
            label = f"VIR {payer}"
            return label[:140], motif  # the motif in the remittance text only
        if rng.random() < 0.2:
            return label[:50], motif  # truncated label, full remittance text
        return label, ""

    def open_invoice(self, customer=None, *, single=True):
        """An invoice not yet used by a line (of `customer` if given)."""
        pool = self.by_customer.get(customer, ()) if customer else None
        if customer and not pool:
            return None
        for _ in range(200):
            pk = self.rng.choice(pool) if pool else self.rng.choice(list(self.invoices))
            if pk in self.used or (single and pk in self.schedules):
                continue
            self.used.add(pk)
            return pk
        return None

    def make_lines(self):
        from encaisse.banking.models import BankLine, BankStatement, StatementFile

        rng, args, company = self.rng, self.args, self.company
        file = StatementFile.objects.create(
            company=company,
            account=self.account,
            name="bench.xml",
            sha256="0" * 64,
            format="camt053",
            size=1,
        )
        statement = BankStatement.objects.create(
            company=company, account=self.account, file=file, currency="EUR"
        )
        self.invoice_list = list(self.invoices)
        kinds = [
            ("number", 36),
            ("wrong_digit", 4),
            ("several", 7),
            ("minus_note", 3),
            ("partial", 4),
            ("fee", 4),
            ("parent", 5),
            ("iban_only", 8),
            ("name_only", 6),
            ("schedule", 3),
            ("cheques", 3),
            ("direct_debits", 2),
            ("by_hand", 3),
            ("unknown", 3),
            ("twins", 2),
            ("bank_fees", 6),
            ("interest", 1),
            ("card", 3),
            ("salary", 3),
        ]
        names, weights = zip(*kinds, strict=True)
        lines = []
        self.hand_payments = []
        for position in range(1, args.lines + 1):
            kind = rng.choices(names, weights)[0]
            day = dt.date(YEAR, 10, 1) + dt.timedelta(days=rng.randrange(0, 55))
            made = getattr(self, f"line_{kind}")(day, position)
            if made is None:
                made = self.line_unknown(day, position)
            fields, truth = made
            self.truth[position] = truth
            lines.append(
                BankLine(
                    company=company,
                    account=self.account,
                    statement=statement,
                    position=position,
                    booking_date=day,
                    value_date=day,
                    currency="EUR",
                    fingerprint=f"bench-{position}",
                    **fields,
                )
            )
        BankLine.objects.bulk_create(lines, batch_size=2000)
        self.line_ids = dict(BankLine.objects.filter(company=company).values_list("position", "pk"))

    def _inv_truth(self, invoices, amounts=None):
        """Expected: {installment id: amount} for whole invoices (or given amounts)."""
        expected = {}
        for invoice in invoices:
            for pk, amount in self.installments[invoice]:
                expected[pk] = amount
        if amounts:
            expected = amounts
        return ("installments", self.invoices[invoices[0]][0], expected)

    def line_number(self, day, position, *, number=None):
        invoice = self.open_invoice()
        customer, number, amount = self.invoices[invoice]
        payer = self.payer_noise(self.customer_names[customer])
        label, remittance = self.label(payer, f"FACT {self.mangle(number)}")
        fields = {"amount": amount, "label": label, "remittance_info": remittance}
        if customer in self.known_ibans and self.rng.random() < 0.7:
            fields["counterparty_iban"] = self.ibans[customer]
        return fields, self._inv_truth([invoice])

    def line_wrong_digit(self, day, position):
        if not self.known_ibans:
            return None
        customer = self.rng.choice(sorted(self.known_ibans))
        invoice = self.open_invoice(customer)
        if invoice is None:
            return None
        _, number, amount = self.invoices[invoice]
        seq = number.split("-")[1]
        i = self.rng.randrange(2, 5)
        wrong = seq[:i] + str((int(seq[i]) + self.rng.randrange(1, 9)) % 10) + seq[i + 1 :]
        payer = self.payer_noise(self.customer_names[customer])
        label, remittance = self.label(payer, f"FACTURE FA{YEAR}-{wrong}")
        return (
            {
                "amount": amount,
                "label": label,
                "remittance_info": remittance,
                "counterparty_iban": self.ibans[customer],
            },
            self._inv_truth([invoice]),
        )

    def line_several(self, day, position):
        customer = self.rng.choice([c for c, v in self.by_customer.items() if len(v) >= 4])
        picked = []
        for _ in range(self.rng.choice([2, 2, 3])):
            invoice = self.open_invoice(customer)
            if invoice:
                picked.append(invoice)
        if len(picked) < 2:
            return None
        total = sum(self.invoices[i][2] for i in picked)
        motif = "FACT " + " ".join(self.mangle(self.invoices[i][1]) for i in picked)
        payer = self.payer_noise(self.customer_names[customer])
        label, remittance = self.label(payer, motif)
        if len(label) > 60 and not remittance:
            remittance = motif
        return {"amount": total, "label": label, "remittance_info": remittance}, self._inv_truth(
            picked
        )

    def line_minus_note(self, day, position):
        customer = self.rng.choice(list(self.notes))
        _pk, note_number, value = self.notes[customer][0]
        invoice = self.open_invoice(customer)
        if invoice is None or self.invoices[invoice][2] <= value:
            return None
        _, number, amount = self.invoices[invoice]
        self.notes[customer] = self.notes[customer][1:]
        if not self.notes[customer]:
            del self.notes[customer]
        payer = self.payer_noise(self.customer_names[customer])
        label, remittance = self.label(payer, f"{number} MOINS AVOIR {note_number}")
        return (
            {"amount": amount - value, "label": label, "remittance_info": remittance},
            self._inv_truth([invoice]),
        )

    def line_partial(self, day, position):
        if not self.known_ibans:
            return self.line_name_only(day, position)
        customer = self.rng.choice(list(self.known_ibans))
        invoice = self.open_invoice(customer)
        if invoice is None:
            return None
        _, number, amount = self.invoices[invoice]
        part = (amount * Decimal(self.rng.choice(["0.3", "0.4", "0.5"]))).quantize(Decimal("0.01"))
        payer = self.payer_noise(self.customer_names[customer])
        label, remittance = self.label(payer, f"ACOMPTE {number}")
        pk = self.installments[invoice][0][0]
        return (
            {
                "amount": part,
                "label": label,
                "remittance_info": remittance,
                "counterparty_iban": self.ibans[customer],
            },
            self._inv_truth([invoice], {pk: part}),
        )

    def line_fee(self, day, position):
        fields, truth = self.line_number(day, position)
        fee = Decimal(self.rng.randrange(10, 480)) / 100
        fields["amount"] -= fee
        return fields, truth

    def line_parent(self, day, position):
        invoice = self.open_invoice()
        _customer, number, amount = self.invoices[invoice]
        parent = f"HOLDING {self.rng.choice(SURNAMES).upper()} GROUPE"
        label, remittance = self.label(parent, f"REGLEMENT FACTURE {number}")
        return {"amount": amount, "label": label, "remittance_info": remittance}, self._inv_truth(
            [invoice]
        )

    def line_iban_only(self, day, position):
        if not self.known_ibans:
            return self.line_name_only(day, position)
        customer = self.rng.choice(list(self.known_ibans))
        invoice = self.open_invoice(customer)
        if invoice is None:
            return None
        _, _, amount = self.invoices[invoice]
        others = [
            i for i in self.by_customer[customer] if i != invoice and self.invoices[i][2] == amount
        ]
        payer = self.payer_noise(self.customer_names[customer])
        label, remittance = self.label(payer, "PAIEMENT")
        truth = self._inv_truth([invoice]) if not others else None
        return (
            {
                "amount": amount,
                "label": label,
                "remittance_info": remittance,
                "counterparty_iban": self.ibans[customer],
            },
            truth,
        )

    def line_name_only(self, day, position):
        """The payer's name (noisy) and the exact amount of one of its invoices, no
        number, no IBAN: decidable when no other invoice of the customer has it."""
        customer = self.rng.choice(list(self.by_customer))
        invoice = self.open_invoice(customer)
        if invoice is None:
            return None
        _, _, amount = self.invoices[invoice]
        others = [
            i for i in self.by_customer[customer] if i != invoice and self.invoices[i][2] == amount
        ]
        payer = self.payer_noise(self.customer_names[customer])
        label, remittance = self.label(payer, "PAIEMENT")
        truth = self._inv_truth([invoice]) if not others else None
        return {"amount": amount, "label": label, "remittance_info": remittance}, truth

    def line_schedule(self, day, position):
        pool = [i for i in self.schedules if i not in self.used]
        if not pool:
            return None
        invoice = self.rng.choice(pool)
        self.used.add(invoice)
        customer, number, _ = self.invoices[invoice]
        pk, amount = self.installments[invoice][0]
        payer = self.payer_noise(self.customer_names[customer])
        label, remittance = self.label(payer, f"ECHEANCE 1 {number}")
        return (
            {"amount": amount, "label": label, "remittance_info": remittance},
            self._inv_truth([invoice], {pk: amount}),
        )

    def line_cheques(self, day, position):
        customers = self.rng.sample(list(self.customer_names), self.rng.randrange(2, 6))
        slip_day = day - dt.timedelta(days=self.rng.randrange(1, 4))
        number = self.next_slip = getattr(self, "next_slip", 0) + 1
        slip = self.RemittanceSlip.objects.create(
            company=self.company, number=number, date=slip_day
        )
        amounts = [Decimal(self.rng.randrange(2_000, 300_000)) / 100 for _ in customers]
        self.Payment.objects.bulk_create(
            [
                self.Payment(
                    company=self.company,
                    customer_id=c,
                    number=f"RG-CHQ-{number}-{k}",
                    date=slip_day,
                    amount=a,
                    unallocated_amount=a,
                    method="cheque",
                    remittance=slip,
                )
                for k, (c, a) in enumerate(zip(customers, amounts, strict=True))
            ]
        )
        label = self.rng.choice(
            [f"REMISE CHEQUES N {number}", f"REM CHQ {number:07d}", f"REMISE {len(amounts)} CHQ"]
        )
        return {"amount": sum(amounts), "label": label}, ("remittance", slip.pk)

    def line_direct_debits(self, day, position):
        collect = day - dt.timedelta(days=self.rng.randrange(0, 3))
        if getattr(self, "dd_days", None) is None:
            self.dd_days = set()
        if collect in self.dd_days:
            return None
        self.dd_days.add(collect)
        customers = self.rng.sample(list(self.customer_names), self.rng.randrange(3, 12))
        amounts = [Decimal(self.rng.randrange(2_000, 50_000)) / 100 for _ in customers]
        made = self.Payment.objects.bulk_create(
            [
                self.Payment(
                    company=self.company,
                    customer_id=c,
                    number=f"RG-PRLV-{position}-{k}",
                    date=collect,
                    amount=a,
                    unallocated_amount=a,
                    method="direct_debit",
                )
                for k, (c, a) in enumerate(zip(customers, amounts, strict=True))
            ]
        )
        ids = set(
            self.Payment.objects.filter(number__startswith=f"RG-PRLV-{position}-").values_list(
                "pk", flat=True
            )
        )
        del made
        return (
            {"amount": sum(amounts), "label": f"REMISE PRLV SEPA {len(amounts)} OPERATIONS"},
            ("payments", ids),
        )

    def line_by_hand(self, day, position):
        customer = self.rng.choice(list(self.customer_names))
        amount = Decimal(self.rng.randrange(5_000, 500_000)) / 100
        payment = self.Payment.objects.create(
            company=self.company,
            customer_id=customer,
            number=f"RG-MAIN-{position}",
            date=day - dt.timedelta(days=self.rng.randrange(0, 3)),
            amount=amount,
            unallocated_amount=amount,
            method="transfer",
        )
        payer = self.payer_noise(self.customer_names[customer])
        label, remittance = self.label(payer, "REGLEMENT")
        fields = {"amount": amount, "label": label, "remittance_info": remittance}
        if customer in self.known_ibans:
            fields["counterparty_iban"] = self.ibans[customer]
        return fields, ("payments", {payment.pk})

    def line_unknown(self, day, position):
        amount = Decimal(self.rng.randrange(1_000, 100_000)) / 100 + Decimal("0.07")
        who = f"M OU MME {self.rng.choice(SURNAMES).upper()} {self.rng.choice(SURNAMES).upper()}"
        label, remittance = self.label(who, "REMBOURSEMENT")
        return {"amount": amount, "label": label, "remittance_info": remittance}, None

    def line_twins(self, day, position):
        if not self.twins:
            return None
        a, b = self.twins.pop()
        amount = Decimal(self.rng.randrange(5_000, 200_000)) / 100
        # An invoice of this amount for each twin (added to the book now).
        from encaisse.receivables.models import Installment
        from encaisse.sales.models import Invoice

        for customer in (a, b):
            n = 90_000 + position * 2 + (customer == b)
            invoice = Invoice.objects.create(
                company=self.company,
                customer_id=customer,
                kind="invoice",
                status="issued",
                number=f"FA{YEAR}-{n:05d}",
                sequence_year=YEAR,
                sequence_number=n,
                issue_date=day - dt.timedelta(days=20),
                due_date=day + dt.timedelta(days=10),
                delivery_date=day,
                terms_kind="net",
                terms_days=30,
                total_excl_vat=amount,
                total_vat=Decimal("0.00"),
                total_incl_vat=amount,
            )
            Installment.objects.create(
                company=self.company,
                customer_id=customer,
                invoice=invoice,
                position=1,
                due_date=invoice.due_date,
                amount=amount,
                issue_date=invoice.issue_date,
                open_amount=amount,
            )
        payer = self.payer_noise(self.customer_names[a])[:14]
        label, remittance = self.label(payer, "PAIEMENT")
        return {"amount": amount, "label": label, "remittance_info": remittance}, None

    def line_bank_fees(self, day, position):
        label = self.rng.choice(
            [
                "FRAIS TENUE DE COMPTE",
                "COMMISSION INTERVENTION",
                "COTIS CARTE BUSINESS",
                "FRAIS VIREMENT SEPA",
                "COMMISSION DE MOUVEMENT",
            ]
        )
        amount = -Decimal(self.rng.randrange(100, 9_000)) / 100
        return {"amount": amount, "label": label}, ("rule", "627")

    def line_interest(self, day, position):
        amount = Decimal(self.rng.randrange(100, 20_000)) / 100
        return {"amount": amount, "label": "INTERETS CREDITEURS"}, ("rule", "768")

    def line_card(self, day, position):
        amount = -Decimal(self.rng.randrange(500, 30_000)) / 100
        shop = self.rng.choice(["CARREFOUR", "TOTAL ENERGIES", "SNCF", "AMAZON", "LEROY MERLIN"])
        return {"amount": amount, "label": f"CB {shop} {day:%d%m}"}, None

    def line_salary(self, day, position):
        amount = -Decimal(self.rng.randrange(150_000, 400_000)) / 100
        who = f"{self.rng.choice(SURNAMES).upper()} {self.rng.choice(SURNAMES).upper()}"
        return {"amount": amount, "label": f"VIR SEPA EMIS SALAIRE {who}"}, None


def same(decision_auto, truth, book) -> bool:
    kind = truth[0]
    auto = decision_auto
    if kind == "rule":
        return auto.kind == "rule" and auto.account == truth[1]
    if kind == "remittance":
        return auto.kind == "remittance" and auto.remittance == truth[1]
    if kind == "payments":
        return auto.kind in ("payment", "payments") and set(auto.payments) == truth[1]
    if auto.kind != "installments" or auto.customer != truth[1]:
        return False
    got = {pk: Decimal(amount) / 100 for pk, amount in auto.items}
    expected = {pk: amount for pk, amount in truth[2].items()}
    # A fee or a credit note: the same installments, settled whole.
    return set(got) == set(expected)


def main(argv=None) -> int:
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    server = None
    if url.startswith(("postgres://", "postgresql://")):
        url, server = prepare_postgres(url)
        os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from encaisse.banking.services.reconcile import reconcile

    try:
        call_command("migrate", verbosity=0)
        info = machine()
        print(f"machine : {info['nproc']} CPU, {info['cpu']}, {info['ram_gb']} GB RAM")
        print(f"software: Python {info['python']}, Django {django.get_version()}, {info['os']}")
        print(f"database: {database_version(connection)}")
        print(f"load    : {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
        generator = Generator(args)
        t = time.perf_counter()
        generator.load()
        generator.make_lines()
        print(
            f"book    : {args.customers} customers, {args.invoices} invoices, "
            f"{args.lines} lines generated in {time.perf_counter() - t:.1f} s"
        )
        timings = {}
        import encaisse.banking.services.reconcile as module

        original_load, original_apply = module.load_book, module.apply

        def timed_load(*a, **k):
            t0 = time.perf_counter()
            try:
                return original_load(*a, **k)
            finally:
                timings["load"] = timings.get("load", 0) + time.perf_counter() - t0

        def timed_apply(*a, **k):
            t0 = time.perf_counter()
            try:
                return original_apply(*a, **k)
            finally:
                timings["apply"] = timings.get("apply", 0) + time.perf_counter() - t0

        original_many = module.bulk.apply_many

        def timed_many(*a, **k):
            t0 = time.perf_counter()
            try:
                return original_many(*a, **k)
            finally:
                timings["apply"] = timings.get("apply", 0) + time.perf_counter() - t0

        module.load_book, module.apply, module.bulk.apply_many = timed_load, timed_apply, timed_many
        server_cpu = backend_cpu()
        t, cpu = time.perf_counter(), time.process_time()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            report = profile.runcall(
                reconcile, generator.company, by=generator.user, keep_decisions=True
            )
            order = os.environ.get("BENCH_PROFILE", "cumulative")
            pstats.Stats(profile).sort_stats(order).print_stats(30)
        else:
            report = reconcile(generator.company, by=generator.user, keep_decisions=True)
        total, cpu = time.perf_counter() - t, time.process_time() - cpu
        if server_cpu is not None:
            server_cpu = backend_cpu() - server_cpu
        module.load_book, module.apply = original_load, original_apply
        module.bulk.apply_many = original_many
        line_pos = {pk: pos for pos, pk in generator.line_ids.items()}
        decidable = correct = wrong = 0
        wrong_kinds, missed_kinds = Counter(), Counter()
        for pk, (decision, applied) in report.decisions.items():
            truth = generator.truth[line_pos[pk]]
            if truth is not None:
                decidable += 1
            if applied:
                if truth is not None and same(decision.auto, truth, None):
                    correct += 1
                else:
                    wrong += 1
                    wrong_kinds[(truth or ("none",))[0]] += 1
            elif truth is not None:
                missed_kinds[truth[0]] += 1
        engine = total - timings.get("apply", 0)
        print(f"lines             : {report.lines}")
        print(f"decidable         : {decidable}")
        print(
            f"matched auto      : {correct} correct = {100 * correct / max(decidable, 1):.1f} % "
            f"of decidable ({report.assigned} by a rule)"
        )
        print(f"wrong auto        : {wrong} = {1000 * wrong / max(report.lines, 1):.2f} per 1,000")
        print(f"proposed          : {report.proposed}; left without candidate: {report.left}")
        print(f"errors applying   : {len(report.errors)}")
        print(
            f"time              : total {total:.2f} s = load {timings.get('load', 0):.2f} s + "
            f"scoring {engine - timings.get('load', 0):.2f} s + applying "
            f"{timings.get('apply', 0):.2f} s ({report.matched} matches applied)"
        )
        print(
            f"CPU time          : {cpu:.2f} s of this process (the machine may be shared: "
            "wall time above includes waiting for the CPU)"
            + (f"; PostgreSQL backend {server_cpu:.2f} s" if server_cpu is not None else "")
        )
        if wrong_kinds:
            print(f"wrong by kind     : {dict(wrong_kinds)}")
        if missed_kinds:
            print(f"decidable missed  : {dict(missed_kinds)}")
        if os.environ.get("BENCH_SHOW"):
            shown = 0
            for pk, (decision, applied) in report.decisions.items():
                truth = generator.truth[line_pos[pk]]
                bad = applied and (truth is None or not same(decision.auto, truth, None))
                if (bad or (truth is not None and not applied)) and shown < 40:
                    shown += 1
                    line = decision.line
                    print(
                        "--",
                        "WRONG" if bad else "MISSED",
                        truth and truth[0],
                        line.amount,
                        line.label,
                        "|",
                        line.remittance,
                    )
                    for c in decision.candidates[:3]:
                        print("    ", c.score, c.kind, c.customer, c.items[:3], c.explanation)
                    if decision.blocked:
                        print("     blocked:", decision.blocked)
    finally:
        if server:
            connection.close()
            drop_postgres(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
