"""Builds the demo company and a year of its business, through the domain services.

Everything goes through the same services as the UI (create_company, create_customer,
create_product, create_invoice, issue_invoice, create_credit_note, record_payment,
allocate), so the demo obeys every rule the application enforces: valid identifiers,
legal payment terms, continuous chronological numbering, issue dates of the day,
credit notes within what remains creditable. The year is replayed day by day with the
clock (`encaisse.clock.at`) set to each day, never through a date a user could type. A
fixed random seed makes it reproducible, except for the dates, which are relative to the
day it is loaded (the last twelve months).
"""

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from stdnum import luhn
from stdnum.iso7064 import mod_11_10

from encaisse import clock
from encaisse.catalog.services import create_product
from encaisse.companies.models import Company, Role
from encaisse.companies.services import add_member, create_company
from encaisse.customers.services import add_contact, create_customer
from encaisse.identifiers import french_vat_number_of
from encaisse.money import q2
from encaisse.receivables import selectors
from encaisse.receivables.services.allocation import allocate
from encaisse.receivables.services.payments import record_payment
from encaisse.sales.services import create_credit_note, create_invoice, issue_invoice

from . import names
from .collection import make_collection

SEED = 20261123
# The demo seller's SIREN: a fixed body with its Luhn key, so the demo is found again.
DEMO_SIREN_BODY = "91837462"
DEMO_SIREN = DEMO_SIREN_BODY + luhn.calc_check_digit(DEMO_SIREN_BODY)

INVOICES = 300
DRAFTS = 6
CREDIT_NOTES = {"full": 3, "lines": 4, "amount": 3}


# --- identifiers -------------------------------------------------------------------


def make_siren(rng: random.Random, first: str | None = None) -> str:
    """A SIREN: 8 digits and their Luhn key. Public bodies start with 1 or 2."""
    body = first or str(rng.randint(3, 9))
    body += "".join(str(rng.randint(0, 9)) for _ in range(8 - len(body)))
    return body + luhn.calc_check_digit(body)


def make_siret(siren: str, rng: random.Random) -> str:
    """SIREN + NIC (4 digits and a key making all 14 digits Luhn-valid)."""
    body = siren + f"{rng.randint(1, 120):04d}"
    return body + luhn.calc_check_digit(body)


def belgian_vat(rng: random.Random) -> str:
    """BE + 10 digits (enterprise number): the last two are 97 − (first eight mod 97)."""
    body = "0" + str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(6))
    return f"BE{body}{97 - int(body) % 97:02d}"


def german_vat(rng: random.Random) -> str:
    """DE + 9 digits: 8 digits and their ISO 7064 Mod 11,10 check digit."""
    body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def french_iban(bank: str, branch: str, account: str) -> str:
    """A French IBAN from its RIB: bank, branch, 11-digit account, RIB key, IBAN key."""
    rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{rib_key:02d}"
    check = 98 - int(bban + "152700") % 97  # F=15, R=27, then "00"
    return f"FR{check:02d}{bban}"


# --- lookups -------------------------------------------------------------------------


def demo_company() -> Company | None:
    return Company.objects.filter(siren=DEMO_SIREN).first()


def logins() -> list[tuple[str, str, str]]:
    """(username, password, role label) of the demo users."""
    return [(u, names.DEMO_PASSWORD, Role(role).label) for u, role, _, _ in names.USERS]


@dataclass
class Summary:
    company: Company
    customers: int = 0
    products: int = 0
    invoices: int = 0
    drafts: int = 0
    credit_notes: int = 0
    payments: int = 0
    notes: list[str] = field(default_factory=list)


# --- the builder ---------------------------------------------------------------------


class Builder:
    def __init__(self, seed: int = SEED, today: dt.date | None = None):
        self.rng = random.Random(seed)
        self.today = today or clock.today()
        self.users: dict[str, object] = {}
        self.products: dict[str, object] = {}
        self.groups: dict[str, list] = {}
        self.customers: list[tuple] = []  # (customer, profile, weight, risk)

    # people and the company

    def make_users(self, summary_notes: list[str]):
        User = get_user_model()
        password = make_password(names.DEMO_PASSWORD)  # PBKDF2 once, not five times
        for username, role, first, last in names.USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(
                    username,
                    f"{username}@maison-levain.example",
                    None,  # no validators run; the hash computed once is set below
                    first_name=first,
                    last_name=last,
                )
                user.password = password
                user.save(update_fields=["password"])
            else:
                summary_notes.append(
                    f"L'utilisateur « {username} » existait déjà : son mot de passe est inchangé."
                )
            if role == Role.ADMIN and not (user.is_staff and user.is_superuser):
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            self.users[role] = user

    def make_company(self) -> Company:
        bank = names.COMPANY_BANK
        siret = DEMO_SIREN + "0001"
        siret += luhn.calc_check_digit(siret)
        company = create_company(
            {
                **names.COMPANY,
                "siren": DEMO_SIREN,
                "siret": siret,
                "vat_number": french_vat_number_of(DEMO_SIREN),
                "iban": french_iban(bank["bank"], bank["branch"], "00020418503"),
                "bic": bank["bic"],
                "einvoicing_address": DEMO_SIREN,
            },
            owner=self.users[Role.ADMIN],
        )
        for role, user in self.users.items():
            if role != Role.ADMIN:
                add_member(company, user, role, by=self.users[Role.ADMIN])
        # The company's current account, as its bank account (journal BQ, account 512):
        # what statements are imported into (banking).
        from encaisse.banking.services.accounts import create_account

        create_account(
            company,
            {"name": "BNP Paribas — compte courant", "iban": company.iban, "bic": company.bic},
            by=self.users[Role.ADMIN],
        )
        return company

    def _contact(self, slug: str) -> dict:
        rng = self.rng
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        female = first in names.FEMALE_FIRST_NAMES
        title = rng.choice(names.JOB_TITLES)
        return {
            "civility": "madame" if female else "monsieur",
            "first_name": first,
            "last_name": last,
            "job_title": names.JOB_TITLE_FORMS.get(title, (title, title))[female],
            "email": f"compta@{slug}.example",
            "phone": f"02 61 91 {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "is_billing_contact": True,
        }

    def make_customers(self, company: Company) -> None:
        rng, admin, sales = self.rng, self.users[Role.ADMIN], self.users[Role.SALES]
        used = {DEMO_SIREN}

        def new_siren(first=None):
            while True:
                siren = make_siren(rng, first)
                if siren not in used and not siren.startswith("356000"):
                    used.add(siren)
                    return siren

        for row in names.PROFESSIONALS:
            name, street, postal, city, segment, risk, terms, weight, profile = row
            public = segment == "public"
            siren = new_siren("2" if public else None)
            kind, days = names.TERMS[terms]
            data = {
                "legal_name": name,
                "kind": "professional",
                "siren": siren,
                "siret": make_siret(siren, rng),
                "vat_number": "" if public else french_vat_number_of(siren),
                "email": f"contact@{slugify(name)}.example",
                "phone": f"02 61 91 {rng.randint(10, 99)} {rng.randint(10, 99)}",
                "billing_line1": street,
                "billing_postal_code": postal,
                "billing_city": city,
                "billing_country": "FR",
                "terms_kind": kind,
                "terms_days": days,
                "einvoicing_address": siren,
                "salesperson": sales,
                "segment": segment,
                "risk_class": risk,
            }
            if name in names.DELIVERY_ADDRESSES:
                line1, d_postal, d_city = names.DELIVERY_ADDRESSES[name]
                data.update(
                    delivery_line1=line1,
                    delivery_postal_code=d_postal,
                    delivery_city=d_city,
                    delivery_country="FR",
                )
            customer = create_customer(company, data, by=admin)
            add_contact(customer, self._contact(slugify(name)), by=admin)
            self.customers.append((customer, profile, weight, risk))

        for name, street, postal, city in names.CONSUMERS:
            customer = create_customer(
                company,
                {
                    "legal_name": name,
                    "kind": "consumer",
                    "email": f"{slugify(name)}@particulier.example",
                    "billing_line1": street,
                    "billing_postal_code": postal,
                    "billing_city": city,
                    "terms_kind": "receipt",
                    "salesperson": sales,
                },
                by=admin,
            )
            add_contact(
                customer,
                {"name": name, "email": customer.email, "is_billing_contact": True},
                by=admin,
            )
            self.customers.append((customer, "home", 1, "A"))

        for name, street, postal, city, country in names.EU_CUSTOMERS:
            vat = belgian_vat(rng) if country == "BE" else german_vat(rng)
            customer = create_customer(
                company,
                {
                    "legal_name": name,
                    "kind": "professional",
                    # customers.services._clean reads data["siren"] when a VAT number is
                    # given: a foreign company has none, so say so.
                    "siren": "",
                    "vat_number": vat,
                    "email": f"info@{slugify(name)}.example",
                    "billing_line1": street,
                    "billing_postal_code": postal,
                    "billing_city": city,
                    "billing_country": country,
                    "terms_kind": "net",
                    "terms_days": 30,
                    "salesperson": sales,
                },
                by=admin,
            )
            contact, title = names.EU_CONTACTS[country]
            add_contact(
                customer,
                {
                    "name": contact,
                    "job_title": title,
                    "email": f"buchhaltung@{slugify(name)}.example"
                    if country == "DE"
                    else f"boekhouding@{slugify(name)}.example",
                    "is_billing_contact": True,
                },
                by=admin,
            )
            self.customers.append((customer, "eu", 2, "A"))

    def make_products(self, company: Company) -> None:
        admin = self.users[Role.ADMIN]
        for ref, label, kind, unit, price, cost, rate, exemption, group in names.PRODUCTS:
            product = create_product(
                company,
                {
                    "reference": ref,
                    "label": label,
                    "kind": kind,
                    "unit": unit,
                    "unit_price": price,
                    "cost_price": cost,
                    "vat_rate": rate,
                    "vat_exemption": exemption,
                    "vat_exemption_reason": names.EXEMPT_TRAINING if exemption == "E" else "",
                },
                by=admin,
            )
            self.products[ref] = product
            self.groups.setdefault(group, []).append(product)

    # invoice contents

    def _line(self, product, quantity, **extra) -> dict:
        return {"product": product, "quantity": str(quantity), **extra}

    def _pick(self, group):
        return self.rng.choice(self.groups[group])

    def lines_for(self, profile: str, day: dt.date) -> list[dict]:
        rng, p = self.rng, self.products
        hours = ["1", "1.5", "2", "2.5", "3", "4", "5", "6"]

        def maintenance():
            lines = [self._line(p["MO-DEPL"], 1), self._line(p["MO-HEURE"], rng.choice(hours))]
            for part in rng.sample(self.groups["part"], rng.choice([0, 1, 1, 2])):
                qty = rng.randint(1, 4) if part.unit == "MTR" else rng.randint(1, 2)
                lines.append(self._line(part, qty))
            if rng.random() < 0.12:
                lines.append(self._line(p["MO-URG"], 1))
            return lines

        def parts():
            chosen = rng.sample(self.groups["part"], rng.randint(1, 4))
            lines = [self._line(part, rng.randint(1, 6)) for part in chosen]
            if rng.random() < 0.4:
                lines.append(self._line(p["TRANSP"], 1, unit_price="45.00"))
            return lines

        def equipment():
            item = self._pick("equipment")
            discount = rng.choice(["", "", "5", "8", "10"])
            lines = [self._line(item, 1, discount_percent=discount)]
            if rng.random() < 0.3:
                lines.append(self._line(self._pick("equipment"), 1))
            lines += [self._line(p["TRANSP"], 1), self._line(p["INSTAL"], 1)]
            if rng.random() < 0.4:
                lines.append(self._line(p["FORM-FOUR"], rng.choice([1, 1, 2])))
            return lines

        def flour():
            qty = rng.choice([10, 15, 20, 30, 40, 60])
            lines = [self._line(p["FAR-T65"], qty, discount_percent="3" if qty >= 40 else "")]
            if rng.random() < 0.5:
                lines.append(self._line(p["LEV-SEC"], rng.randint(1, 4)))
            return lines

        def contract():
            month = f"{MONTHS[day.month - 1]} {day.year}"
            return [
                self._line(
                    p["CONTRAT-M"],
                    1,
                    description=f"Contrat de maintenance préventive, mensualité de {month}",
                )
            ]

        def training():
            return [self._line(p["FORM-FOUR"], rng.choice([1, 1, 2, 3]))]

        def wood():
            lines = [self._line(p["BOIS-HETRE"], rng.randint(1, 5))]
            if rng.random() < 0.3:
                lines.append(self._line(p["TRANSP"], 1, unit_price="60.00"))
            return lines

        def home():
            if rng.random() < 0.5:
                return [
                    self._line(p["FOUR-PARTIC"], 1),
                    self._line(p["INSTAL-HAB"], 1),
                    self._line(p["TRANSP"], 1),
                ]
            return wood()

        mixes = {
            "bakery": [(maintenance, 45), (parts, 18), (flour, 15), (equipment, 7),
                       (contract, 10), (training, 5)],
            "wood": [(wood, 50), (maintenance, 40), (parts, 10)],
            "catering": [(maintenance, 50), (parts, 25), (equipment, 15), (training, 10)],
            "public": [(maintenance, 50), (equipment, 20), (training, 30)],
            "school": [(training, 50), (equipment, 20), (maintenance, 30)],
            "works": [(equipment, 70), (maintenance, 30)],
            "parts": [(parts, 70), (maintenance, 30)],
            "home": [(home, 100)],
            "eu": [(equipment, 35), (parts, 45), (training, 20)],
        }  # fmt: skip
        makers, weights = zip(*mixes[profile], strict=True)
        lines = rng.choices(makers, weights)[0]()
        if profile != "home" and rng.random() < 0.2:
            desc, kind, unit, price, rate = rng.choice(names.FREE_LINES)
            lines.append(
                {
                    "description": desc,
                    "item_kind": kind,
                    "unit": unit,
                    "quantity": "1",
                    "unit_price": price,
                    "vat_rate": rate,
                }
            )
        if rng.random() < 0.06:  # a line discount granted by the salesperson
            lines[-1]["discount_percent"] = rng.choice(["5", "10", "15"])
        lines = lines[:6]
        if profile == "eu":
            for line in lines:
                kind = line["product"].kind if line.get("product") else line["item_kind"]
                line.update(vat_rate="0", vat_exemption="K" if kind == "goods" else "AE")
        return [{**line, "product": getattr(line.get("product"), "pk", None)} for line in lines]

    def invoice_dates(self, count: int) -> list[dt.date]:
        """`count` working days over the last 365 days, in order."""
        days = []
        for _ in range(count):
            day = self.today - dt.timedelta(days=self.rng.randint(0, 365))
            if day.weekday() >= 5:  # to the Monday after, never past today
                day = min(self.today, day + dt.timedelta(days=7 - day.weekday()))
            days.append(day)
        days.sort()
        return days

    @property
    def risk_of(self) -> dict[int, str]:
        return {customer.pk: risk for customer, _, _, risk in self.customers}

    def pick_customer(self):
        entries = self.customers
        return self.rng.choices(entries, [weight for _, _, weight, _ in entries])[0]

    # the year of business, replayed day by day

    def plan_credit_notes(self, days: list[dt.date]) -> dict[dt.date, list[tuple[int, str]]]:
        """{day: [(index of the invoice in `days`, mode)]}: a few invoices issued at least
        five days ago get a credit note 1 to 25 days after them."""
        rng = self.rng
        candidates = [i for i, day in enumerate(days) if day <= self.today - dt.timedelta(days=5)]
        chosen = rng.sample(candidates, sum(CREDIT_NOTES.values()))
        modes = [mode for mode, n in CREDIT_NOTES.items() for _ in range(n)]
        plan: dict[dt.date, list[tuple[int, str]]] = defaultdict(list)
        for index, mode in zip(chosen, modes, strict=True):
            day = min(self.today, days[index] + dt.timedelta(days=rng.randint(1, 25)))
            plan[day].append((index, mode))
        return plan

    def make_invoice(self, company: Company, day: dt.date):
        """A draft made and issued on `day` (the clock is at that day)."""
        sales = self.users[Role.SALES]
        customer, profile, _, _ = self.pick_customer()
        reference = ""
        if customer.is_professional and self.rng.random() < 0.35:
            reference = f"BC-{day:%y%m}-{self.rng.randint(100, 999)}"
        invoice = create_invoice(
            company,
            customer=customer,
            lines=self.lines_for(profile, day),
            by=sales,
            customer_reference=reference,
        )
        return issue_invoice(invoice, by=sales)

    def make_credit_note(self, invoice, mode: str):
        """A credit note on `invoice`, made and issued today (the clock's day)."""
        rng, accounting = self.rng, self.users[Role.ACCOUNTING]
        reason = rng.choice(names.CREDIT_REASONS)
        if mode == "full":
            draft = create_credit_note(invoice, by=accounting, mode="full", reason=reason)
        elif mode == "lines":
            line = rng.choice(list(invoice.lines.all()))
            quantity = min(line.quantity, Decimal(1))
            draft = create_credit_note(
                invoice,
                by=accounting,
                mode="lines",
                lines=[{"line": line.pk, "quantity": quantity}],
                reason=reason,
            )
        else:
            line = rng.choice(list(invoice.lines.all()))
            base = sum(
                (x.net_amount for x in invoice.lines.all() if x.vat_rate == line.vat_rate),
                Decimal(0),
            )
            amount = max(Decimal("1.00"), min(q2(base * Decimal("0.15")), Decimal("150")))
            draft = create_credit_note(
                invoice,
                by=accounting,
                mode="amount",
                amount=amount,
                vat_rate=line.vat_rate,
                reason=reason,
            )
        return issue_invoice(draft, by=accounting)

    def plan_payment(self, invoice, credited_on: dt.date | None, payments: dict) -> None:
        """Whether and when `invoice` gets paid, added to `payments` {(day, customer id,
        invoice id or None): [(invoice, share)]}: most around their due date, risky
        customers late or not at all, professionals grouping what falls due in the same
        fortnight into one transfer on their payment runs (the 10th and the 25th)."""
        rng = self.rng
        behaviour = {  # risk class: (probability of paying, delay range in days)
            "A": (0.97, (-5, 12)),
            "B": (0.92, (0, 25)),
            "C": (0.80, (5, 50)),
            "D": (0.55, (15, 80)),
        }
        chance, (low, high) = behaviour[self.risk_of[invoice.customer_id]]
        if rng.random() > chance:
            return
        day = invoice.due_date + dt.timedelta(days=rng.randint(low, high))
        # Never before the invoice, nor before its credit note (which lowers what is owed).
        day = max(day, invoice.issue_date, credited_on or invoice.issue_date)
        customer = invoice.customer
        share = Decimal(1)
        if rng.random() < 0.05:  # a partial payment, the rest still owed
            key = (day, customer.pk, invoice.pk)
            share = Decimal("0.5")
        elif customer.is_professional:
            day = next_payment_run(day)
            key = (day, customer.pk, None)
        else:
            key = (day, customer.pk, invoice.pk)
        if day <= self.today:
            payments[key].append((invoice, share))

    def make_payment(self, company: Company, items: list[tuple]) -> bool:
        """One payment of today (the clock's day) for `items` [(invoice, share)], of what
        each still owes now (credit notes deducted) times its share, allocated to them."""
        rng, accounting = self.rng, self.users[Role.ACCOUNTING]
        invoices = [invoice for invoice, _ in items]
        open_by_invoice = {
            i.invoice_id: i
            for i in selectors.installments_as_of(company, dt.date.max).filter(invoice__in=invoices)
        }
        allocations = []
        for invoice, share in items:
            installment = open_by_invoice.get(invoice.pk)
            amount = q2(q2(installment.open_amount) * share) if installment else Decimal(0)
            if amount > 0:  # q2 first: SQLite sums are not exact
                allocations.append((invoice, installment, amount))
        if not allocations:
            return False
        customer = invoices[0].customer
        method = rng.choice(["card", "cheque"] if not customer.is_professional else
                            ["transfer"] * 6 + ["cheque", "direct_debit", "lcr"])  # fmt: skip
        numbers = " ".join(invoice.number for invoice, _, _ in allocations)
        payment = record_payment(
            company,
            {
                "customer": customer.pk,
                "amount": sum((amount for _, _, amount in allocations), Decimal(0)),
                "date": clock.today(),
                "method": method,
                "reference": f"{'VIR' if method == 'transfer' else 'REGL'} {numbers}"[:140],
            },
            by=accounting,
        )
        allocate(
            payment,
            [(installment, amount) for _, installment, amount in allocations],
            by=accounting,
        )
        return True

    def make_history(self, company: Company, count: int) -> tuple[list, list, int]:
        """A year of invoices, credit notes and payments, replayed day by day through the
        services with the clock at each day: every document is issued on its own day under
        the rules a user meets (issue date, chronological numbering), and journal entries
        follow each other in the order of their days, as in a real FEC."""
        days = self.invoice_dates(count)
        invoices_of_day: dict[dt.date, int] = defaultdict(int)
        for day in days:
            invoices_of_day[day] += 1
        notes_of_day = self.plan_credit_notes(days)
        credited_on = {index: day for day, planned in notes_of_day.items() for index, _ in planned}
        payments: dict[tuple, list] = defaultdict(list)
        issued, notes, paid = [], [], 0
        day = days[0]
        while day <= self.today:
            with clock.at(day):
                for _ in range(invoices_of_day.get(day, 0)):
                    invoice = self.make_invoice(company, day)
                    self.plan_payment(invoice, credited_on.get(len(issued)), payments)
                    issued.append(invoice)
                for index, mode in notes_of_day.get(day, []):
                    notes.append(self.make_credit_note(issued[index], mode))
                due = [k for k in payments if k[0] == day]
                for key in sorted(due, key=lambda k: (k[1], k[2] or 0)):
                    paid += self.make_payment(company, payments.pop(key))
            day += dt.timedelta(days=1)
        return issued, notes, paid

    def make_drafts(self, company: Company, count: int) -> int:
        sales = self.users[Role.SALES]
        for _ in range(count):
            customer, profile, _, _ = self.pick_customer()
            create_invoice(
                company,
                customer=customer,
                lines=self.lines_for(profile, self.today),
                by=sales,
                notes="Brouillon en cours de préparation.",
            )
        return count


def next_payment_run(day: dt.date) -> dt.date:
    """The first 10th or 25th of a month on or after `day`."""
    for run in (10, 25):
        if day.day <= run:
            return day.replace(day=run)
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=10)


MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
]  # fmt: skip


def slugify(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(c if c.isalnum() else " " for c in plain).split()
    stop = {"sarl", "sas", "eurl", "sa", "earl", "scop", "bv", "gmbh", "de", "du", "la", "le",
            "les", "l", "d", "et", "des"}  # fmt: skip
    return "-".join(w for w in words if w not in stop)[:40] or "client"


def build(*, seed: int = SEED, today: dt.date | None = None, invoices: int = INVOICES) -> Summary:
    """Load the demo in one transaction: all of it, or nothing. The whole build runs with
    the clock at `today` (default: the real day), and each past day of its history at
    that day: the services apply their rules about "today" as they would have then."""
    builder = Builder(seed, today)
    with transaction.atomic(), clock.at(builder.today):
        notes: list[str] = []
        builder.make_users(notes)
        company = builder.make_company()
        builder.make_customers(company)
        builder.make_products(company)
        issued, credit_notes, payments = builder.make_history(company, invoices)
        drafts = builder.make_drafts(company, DRAFTS)
        notes += make_collection(company, builder.users, builder.today)
        summary = Summary(
            company=company,
            customers=len(builder.customers),
            products=len(builder.products),
            invoices=len(issued),
            drafts=drafts,
            credit_notes=len(credit_notes),
            payments=payments,
            notes=notes,
        )
    return summary
