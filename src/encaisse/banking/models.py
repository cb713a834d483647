"""Bank accounts, the statements imported for them, and their lines.

A line keeps what the bank said (see `formats.base.Line`); what encaisse made of it is
its `status` and the matches the reconciliation records (`reconciliation` lane). Lines
are never edited after import: a wrong import is undone by deleting its file's import
as a whole, before anything is matched.
"""

from django.conf import settings
from django.db import models


class BankAccount(models.Model):
    """One of the company's bank accounts: its IBAN, journal and 512x ledger account."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("nom", max_length=80)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11, blank=True)
    currency = models.CharField("devise", max_length=3, default="EUR")
    journal = models.CharField("journal", max_length=6, default="BQ")
    ledger_account = models.CharField("compte comptable", max_length=10, default="512")
    # A folder watched by a periodic job: files an EBICS client drops there are imported.
    watch_folder = models.CharField("dossier surveillé", max_length=500, blank=True)
    active = models.BooleanField("actif", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "compte bancaire"
        verbose_name_plural = "comptes bancaires"
        constraints = [
            models.UniqueConstraint(fields=["company", "iban"], name="bank_account_iban_unique")
        ]

    def __str__(self):
        return f"{self.name} ({self.iban[-4:]})" if self.iban else self.name


class StatementFile(models.Model):
    """A file imported: recognised by its hash, so the same file is never imported twice."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="files")
    name = models.CharField("fichier", max_length=255)
    sha256 = models.CharField(max_length=64)
    format = models.CharField("format", max_length=10)
    size = models.PositiveIntegerField("taille")
    lines_imported = models.PositiveIntegerField("lignes importées", default=0)
    lines_skipped = models.PositiveIntegerField("lignes déjà importées", default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    imported_at = models.DateTimeField("importé le", auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = "fichier de relevé"
        constraints = [
            models.UniqueConstraint(fields=["company", "sha256"], name="statement_file_unique")
        ]

    def __str__(self):
        return self.name


class BankStatement(models.Model):
    """One statement of an account: its balances as the bank gave them."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="statements")
    file = models.ForeignKey(StatementFile, on_delete=models.PROTECT, related_name="statements")
    position = models.PositiveSmallIntegerField(default=1)  # in its file
    reference = models.CharField("référence", max_length=140, blank=True)
    currency = models.CharField("devise", max_length=3)
    opening_date = models.DateField("date du solde initial", null=True)
    opening_balance = models.DecimalField(
        "solde initial", max_digits=16, decimal_places=2, null=True
    )
    closing_date = models.DateField("date du solde final", null=True)
    closing_balance = models.DecimalField("solde final", max_digits=16, decimal_places=2, null=True)
    # What the import found, shown and never "fixed": opening + lines - closing, and this
    # opening minus the previous statement's closing (None when there is nothing to compare).
    balance_gap = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    chain_gap = models.DecimalField(max_digits=16, decimal_places=2, null=True)

    class Meta:
        ordering = ["account", "closing_date", "pk"]
        verbose_name = "relevé bancaire"
        verbose_name_plural = "relevés bancaires"
        indexes = [models.Index(fields=["account", "closing_date"], name="statement_account_date")]

    def __str__(self):
        day = self.closing_date or self.opening_date
        return f"Relevé {self.reference or self.pk} du {day:%d/%m/%Y}" if day else "Relevé"


class LineStatus(models.TextChoices):
    UNMATCHED = "unmatched", "À traiter"
    PROPOSED = "proposed", "Proposition"
    MATCHED = "matched", "Rapprochée"
    ASSIGNED = "assigned", "Imputée à un compte"
    IGNORED = "ignored", "Ignorée"


class BankLine(models.Model):
    """One movement of a statement, as the bank reported it (see formats.base.Line)."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="lines")
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField(default=1)  # in its statement
    booking_date = models.DateField("date d'opération")
    value_date = models.DateField("date de valeur", null=True)
    amount = models.DecimalField("montant", max_digits=16, decimal_places=2)  # > 0 credit
    currency = models.CharField("devise", max_length=3)
    label = models.CharField("libellé", max_length=500)
    counterparty_name = models.CharField("contrepartie", max_length=200, blank=True)
    counterparty_iban = models.CharField("IBAN de la contrepartie", max_length=34, blank=True)
    end_to_end_id = models.CharField("référence de bout en bout", max_length=140, blank=True)
    creditor_reference = models.CharField("référence créancier", max_length=140, blank=True)
    remittance_info = models.TextField("informations de remise", blank=True)
    bank_reference = models.CharField("référence banque", max_length=140, blank=True)
    transaction_code = models.CharField("code opération", max_length=40, blank=True)
    details = models.TextField("détails", blank=True)  # the further texts, one per line
    # Recognises a line already imported (an overlapping file): see services.fingerprint.
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(
        "statut", max_length=10, choices=LineStatus.choices, default=LineStatus.UNMATCHED
    )

    class Meta:
        ordering = ["account", "booking_date", "pk"]
        verbose_name = "ligne de relevé"
        verbose_name_plural = "lignes de relevé"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "fingerprint"], name="bank_line_fingerprint_unique"
            )
        ]
        indexes = [
            models.Index(fields=["company", "status", "booking_date"], name="bank_line_status"),
            models.Index(fields=["account", "booking_date"], name="bank_line_account_date"),
        ]

    def __str__(self):
        return f"{self.booking_date:%d/%m/%Y} {self.label[:40]} {self.amount}"


class BankMatch(models.Model):
    """What (part of) a bank line was reconciled with, and why.

    Exactly one counterpart per row: a payment recorded in encaisse (found, or recorded
    by the match), a cheque remittance slip, a refund, or a journal entry when the line
    was assigned to an account (fees, interest, a transfer between own accounts). A line
    split across several invoices or customers has several rows; their amounts add up to
    the line's. An undo dates the row instead of deleting it: what was reconciled on a
    past day stays readable, as for allocations.
    """

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BankLine, on_delete=models.PROTECT, related_name="matches")
    amount = models.DecimalField("montant", max_digits=16, decimal_places=2)  # signed as line
    payment = models.ForeignKey(
        "receivables.Payment", on_delete=models.PROTECT, null=True, related_name="bank_matches"
    )
    remittance = models.ForeignKey(
        "receivables.RemittanceSlip",
        on_delete=models.PROTECT,
        null=True,
        related_name="bank_matches",
    )
    refund = models.ForeignKey(
        "receivables.Refund", on_delete=models.PROTECT, null=True, related_name="bank_matches"
    )
    entry = models.ForeignKey(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, related_name="bank_matches"
    )
    automatic = models.BooleanField("automatique", default=False)
    score = models.PositiveSmallIntegerField("score", null=True)  # 0-100 when automatic
    # « n° FA2026-00123 dans le libellé, montant égal, IBAN connu »
    explanation = models.CharField("explication", max_length=500, blank=True)
    matched_on = models.DateField("rapprochée le")
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_on = models.DateField("annulée le", null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = "rapprochement"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        payment__isnull=False,
                        remittance__isnull=True,
                        refund__isnull=True,
                        entry__isnull=True,
                    )
                    | models.Q(
                        payment__isnull=True,
                        remittance__isnull=False,
                        refund__isnull=True,
                        entry__isnull=True,
                    )
                    | models.Q(
                        payment__isnull=True,
                        remittance__isnull=True,
                        refund__isnull=False,
                        entry__isnull=True,
                    )
                    | models.Q(
                        payment__isnull=True,
                        remittance__isnull=True,
                        refund__isnull=True,
                        entry__isnull=False,
                    )
                ),
                name="bank_match_one_counterpart",
            )
        ]
        indexes = [models.Index(fields=["line", "undone_on"], name="bank_match_line")]

    def __str__(self):
        return f"{self.line} ↔ {self.payment or self.remittance or self.refund or self.entry}"


# --- match lane ---
# The reconciliation's own rows: the proposals waiting for a person, the rules applied
# first, the payers learnt from a person's matches, and the operations a match or an
# assignment did (so that an undo undoes exactly them). See banking/services/matching.py.


class MatchProposal(models.Model):
    """What the engine could not decide alone: the line's candidates, best first.

    `candidates` is a list of dicts, what the review screen shows for each: kind
    ("installments", "payment", "payments", "remittance", "refund"), customer (id, name),
    items [{installment, invoice, number, amount}] it would settle, credit_notes used,
    write_off, payment / payments / remittance / refund ids, score (0-100), reasons
    (French) and explanation. One row per line, replaced by each run of the engine,
    deleted when the line is matched."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    line = models.OneToOneField(BankLine, on_delete=models.CASCADE, related_name="proposal")
    score = models.PositiveSmallIntegerField("meilleur score", default=0)
    candidates = models.JSONField("candidats", default=list)
    computed_at = models.DateTimeField("calculée le", auto_now=True)

    class Meta:
        verbose_name = "proposition de rapprochement"
        indexes = [models.Index(fields=["company", "score"], name="match_proposal_score")]

    def __str__(self):
        return f"Proposition pour {self.line} ({self.score})"


class RuleDirection(models.TextChoices):
    ANY = "any", "Crédit ou débit"
    CREDIT = "credit", "Crédit"
    DEBIT = "debit", "Débit"


class MatchRule(models.Model):
    """« Libellé contient X » (and optionally a sign and an amount range) → an account:
    fees, interest, transfers between own accounts. Applied before any scoring, in
    `position` order; the first rule that fits assigns the line."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    label_contains = models.CharField("le libellé contient", max_length=100)
    direction = models.CharField(
        "sens", max_length=6, choices=RuleDirection.choices, default=RuleDirection.ANY
    )
    min_amount = models.DecimalField(
        "montant minimal", max_digits=16, decimal_places=2, null=True, blank=True
    )
    max_amount = models.DecimalField(
        "montant maximal", max_digits=16, decimal_places=2, null=True, blank=True
    )
    account = models.CharField("compte comptable", max_length=10)
    entry_label = models.CharField("libellé de l'écriture", max_length=100)
    active = models.BooleanField("active", default=True)
    position = models.PositiveSmallIntegerField("ordre", default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "règle d'imputation"
        verbose_name_plural = "règles d'imputation"

    def __str__(self):
        return f"« {self.label_contains} » → {self.account}"


class PayerMemory(models.Model):
    """A payer learnt when a person matched a line: its IBAN (one customer per IBAN and
    company: the latest person's choice) and/or a normalised name variant."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    iban = models.CharField("IBAN", max_length=34, blank=True)
    name = models.CharField("nom normalisé", max_length=200, blank=True)
    learned_from = models.ForeignKey(
        BankLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "payeur connu"
        verbose_name_plural = "payeurs connus"
        constraints = [
            models.UniqueConstraint(
                fields=["company", "iban"],
                condition=~models.Q(iban=""),
                name="payer_memory_iban_unique",
            ),
            models.UniqueConstraint(
                fields=["company", "customer", "name"],
                condition=models.Q(iban=""),
                name="payer_memory_name_unique",
            ),
        ]

    def __str__(self):
        return self.iban or self.name


class MatchOperation(models.Model):
    """One match, split or assignment of a line, with what it did, so that its undo
    undoes exactly that: the payments it recorded, the allocations and write-offs it
    made, the journal entry of an assignment. An undo is an operation of its own
    (kind "undo", `undo_of` the one undone): the source of its reversing entries and
    the record of the refunds that cancelled the recorded payments."""

    class Kind(models.TextChoices):
        MATCH = "match", "Rapprochement"
        ASSIGN = "assign", "Imputation"
        UNDO = "undo", "Annulation"

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BankLine, on_delete=models.PROTECT, related_name="operations")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    matches = models.ManyToManyField(BankMatch, related_name="operations", blank=True)
    recorded_payments = models.JSONField(default=list)  # Payment ids recorded by the match
    allocations = models.JSONField(default=list)  # Allocation ids made by the match
    write_offs = models.JSONField(default=list)  # WriteOff ids made by the match
    refunds = models.JSONField(default=list)  # undo: Refund ids cancelling the payments
    account = models.CharField(max_length=10, blank=True)  # assign: the account
    label = models.CharField(max_length=200, blank=True)  # assign: the entry's label
    undo_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="undone_by_op"
    )
    reason = models.CharField("motif", max_length=200, blank=True)
    done_on = models.DateField()
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    undone_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "opération de rapprochement"
        indexes = [models.Index(fields=["line", "undone_on"], name="match_operation_line")]

    def __str__(self):
        return f"{self.get_kind_display()} de {self.line}"


# --- report lane ---


class ReconciliationReport(models.Model):
    """A validated état de rapprochement: an account's two balances and the outstanding
    items on a date, frozen when an accountant validated them (who, when). Never changed
    nor deleted afterwards; its date closes the account's period up to it
    (`reconciliation_report.check_not_closed`)."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="reconciliation_reports"
    )
    as_of = models.DateField("au")
    bank_balance = models.DecimalField("solde bancaire", max_digits=16, decimal_places=2, null=True)
    book_balance = models.DecimalField("solde comptable", max_digits=16, decimal_places=2)
    book_items = models.DecimalField(
        "écritures non passées en banque", max_digits=16, decimal_places=2
    )
    bank_items = models.DecimalField(
        "opérations bancaires non comptabilisées", max_digits=16, decimal_places=2
    )
    residual = models.DecimalField("écart non expliqué", max_digits=16, decimal_places=2, null=True)
    item_count = models.PositiveIntegerField("suspens")
    old_count = models.PositiveIntegerField("suspens anciens")
    snapshot = models.JSONField("état figé")
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    validated_at = models.DateTimeField("validé le")

    class Meta:
        ordering = ["account", "-as_of"]
        verbose_name = "état de rapprochement"
        verbose_name_plural = "états de rapprochement"
        constraints = [
            models.UniqueConstraint(fields=["account", "as_of"], name="reconciliation_report_once")
        ]

    def __str__(self):
        return f"État de rapprochement {self.account} au {self.as_of:%d/%m/%Y}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("A validated reconciliation report never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("A validated reconciliation report is never deleted.")
