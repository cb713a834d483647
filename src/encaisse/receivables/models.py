"""What customers owe and what they pay.

Debit side: installments (échéances) of issued invoices, and refunds paid back to a
customer. Credit side: payments received, issued credit notes and write-offs. An
allocation (lettrage) links a credit to a debit for an amount, from a date, until it is
undone (the row stays, with the undo date: the trace). Everything is dated so that any
figure can be computed as of a date: an allocation counts on day D when
allocated_on <= D and (undone_on is null or undone_on > D).

Two dates of a settlement are kept apart: when it was matched (allocated_on, for the
balances of a date) and when the money counted as received (paid_on, the credit's own
date, for what lateness costs and when an invoice counts as paid).
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Installment(models.Model):
    """One due date of an issued invoice, with its amount incl. VAT."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="installments"
    )
    invoice = models.ForeignKey(
        "sales.Invoice", on_delete=models.PROTECT, related_name="installments"
    )
    position = models.PositiveSmallIntegerField(default=1)
    due_date = models.DateField("échéance")
    amount = models.DecimalField("montant TTC", max_digits=14, decimal_places=2)
    issue_date = models.DateField()  # the invoice's, copied for set-based as-of queries
    # Derived from the allocations, kept for speed (see services.allocation.refresh_settled):
    # the date the installment became fully settled, and whether an undo ever reopened it.
    # An installment never reopened is open on D exactly when settled_on is null or after D,
    # so reports look at the allocations of those rows only.
    settled_on = models.DateField(null=True, blank=True)
    reopened = models.BooleanField(default=False)
    # What remains due today: amount − Σ allocations not undone. Kept by the services in
    # the transaction that allocates or undoes (services.allocation.refresh_settled),
    # checked by `encaisse receivables check-open-amounts`; today's figures read it, past
    # dates are replayed from the dated allocations (selectors.stored_is_current).
    open_amount = models.DecimalField("reste dû", max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = "échéance"
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="installment_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="installment_positive"),
            models.CheckConstraint(
                condition=Q(open_amount__gte=0, open_amount__lte=F("amount")),
                name="installment_open_amount_range",
            ),
        ]
        # The aged balance looks for the rows that may be open on a date in three arms
        # (reporting.aged_balance._candidates), one index each. On PostgreSQL they cover
        # the columns it reads (INCLUDE: index-only scans, no heap visit); SQLite ignores
        # INCLUDE and keeps the partial indexes. See docs/benchmarks.md.
        indexes = [
            models.Index(fields=["company", "issue_date"]),
            models.Index(fields=["company", "customer", "due_date"]),
            models.Index(
                fields=["company", "issue_date"],
                include=["id", "customer", "due_date", "amount"],
                condition=Q(settled_on__isnull=True),
                name="installment_open_idx",
            ),
            models.Index(
                fields=["company", "settled_on"],
                include=["id", "customer", "due_date", "amount", "issue_date"],
                name="installment_settled_idx",
            ),
            models.Index(
                fields=["company", "settled_on"],
                include=["id", "customer", "due_date", "amount", "issue_date"],
                condition=Q(reopened=True),
                name="installment_reopened_idx",
            ),
            # Today's open items of a company (aged balance, home, dunning) and of a
            # customer (statement, exposure): only the rows still owing something.
            models.Index(
                fields=["company", "customer"],
                include=["due_date", "open_amount"],
                condition=Q(open_amount__gt=0),
                name="installment_owing_idx",
            ),
        ]

    def __str__(self):
        return f"{self.invoice.number} échéance {self.position} du {self.due_date:%d/%m/%Y}"


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", "Virement"
    CHEQUE = "cheque", "Chèque"
    CARD = "card", "Carte bancaire"
    DIRECT_DEBIT = "direct_debit", "Prélèvement SEPA"
    CASH = "cash", "Espèces"
    BILL_OF_EXCHANGE = "lcr", "Effet de commerce (LCR)"


class RemittanceSlip(models.Model):
    """A bordereau de remise: cheques handed to the bank together."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    date = models.DateField("date de remise")
    bank_account = models.CharField("compte bancaire (IBAN)", max_length=34, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-number"]
        verbose_name = "bordereau de remise de chèques"
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="remittance_unique")
        ]

    def __str__(self):
        return f"Bordereau n° {self.number} du {self.date:%d/%m/%Y}"


class Payment(models.Model):
    """Money received from a customer."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    number = models.CharField("numéro", max_length=20, default="")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="payments"
    )
    date = models.DateField("date de réception")
    amount = models.DecimalField("montant", max_digits=14, decimal_places=2)
    method = models.CharField("mode de règlement", max_length=20, choices=PaymentMethod.choices)
    payer = models.CharField("payeur", max_length=200, blank=True)
    reference = models.CharField("référence", max_length=140, blank=True)
    bank_account = models.CharField("compte bancaire (IBAN)", max_length=34, blank=True)
    remittance = models.ForeignKey(
        RemittanceSlip, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    # As on Installment: the date the payment was fully allocated, and whether an undo
    # ever gave some of it back.
    settled_on = models.DateField(null=True, blank=True)
    reopened = models.BooleanField(default=False)
    # What the payment still holds today: amount − Σ allocations not undone (to
    # installments and refunds). Kept as Installment.open_amount is.
    unallocated_amount = models.DecimalField("non lettré", max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = "règlement"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=Q(unallocated_amount__gte=0, unallocated_amount__lte=F("amount")),
                name="payment_unallocated_range",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "customer", "date"]),
            models.Index(fields=["company", "date"]),
            # As on Installment: the aged balance's three arms of unapplied payments.
            models.Index(
                fields=["company", "date"],
                include=["id", "customer", "amount"],
                condition=Q(settled_on__isnull=True),
                name="payment_open_idx",
            ),
            models.Index(
                fields=["company", "settled_on"],
                include=["id", "customer", "amount", "date"],
                name="payment_settled_idx",
            ),
            models.Index(
                fields=["company", "settled_on"],
                include=["id", "customer", "amount", "date"],
                condition=Q(reopened=True),
                name="payment_reopened_idx",
            ),
            models.Index(
                fields=["company", "customer"],
                include=["unallocated_amount"],
                condition=Q(unallocated_amount__gt=0),
                name="payment_unallocated_idx",
            ),
        ]

    def __str__(self):
        return f"Règlement du {self.date:%d/%m/%Y} ({self.get_method_display()})"

    @property
    def received_on(self) -> dt.date:
        """The day the money counts as received: the day the bank credited it (`date`),
        or for a cheque on a remittance slip the slip's date (until then, the day it was
        received). selectors.payment_received_on is the same rule in SQL."""
        return self.remittance.date if self.remittance_id else self.date


class CreditNoteCredit(models.Model):
    """What an issued credit note still holds today for its customer (its unallocated
    amount), kept as Payment.unallocated_amount is. A row of its own because an issued
    credit note is frozen (sales.Invoice, triggers of sales/0002); created when the credit
    note is issued (services.allocation.settle_credited_invoice), in that transaction."""

    credit_note = models.OneToOneField(
        "sales.Invoice",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="stored_credit",
    )
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    issue_date = models.DateField()  # the credit note's, copied as on Installment
    amount = models.DecimalField("montant TTC", max_digits=14, decimal_places=2)
    unallocated_amount = models.DecimalField("non lettré", max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = "crédit d'un avoir"
        constraints = [
            models.CheckConstraint(
                condition=Q(unallocated_amount__gte=0, unallocated_amount__lte=F("amount")),
                name="credit_note_unallocated_range",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "issue_date"], name="credit_note_credit_date_idx"),
            models.Index(
                fields=["company", "customer"],
                include=["unallocated_amount"],
                condition=Q(unallocated_amount__gt=0),
                name="credit_note_unallocated_idx",
            ),
        ]

    def __str__(self):
        return f"Crédit de l'avoir {self.credit_note_id}"


class Refund(models.Model):
    """Money paid back to a customer out of its credit (a payment or a credit note)."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    number = models.CharField("numéro", max_length=20, default="")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="refunds"
    )
    date = models.DateField("date du remboursement")
    amount = models.DecimalField("montant", max_digits=14, decimal_places=2)
    method = models.CharField("mode", max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField("référence", max_length=140, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = "remboursement"
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")]

    def __str__(self):
        return f"Remboursement du {self.date:%d/%m/%Y}"


class WriteOff(models.Model):
    """A small difference (bank fees, rounding) settled without money, under a threshold."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    number = models.CharField("numéro", max_length=20, default="")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="write_offs"
    )
    date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)  # > 0: a loss (658)
    reason = models.CharField("motif", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = "écart passé en pertes et profits"
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="write_off_positive")]

    def __str__(self):
        return f"Écart de règlement du {self.date:%d/%m/%Y}"


class Allocation(models.Model):
    """Lettrage: `amount` of one credit (payment, credit note or write-off) settles one
    debit (an installment, or a refund taking the customer's credit back)."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="allocations"
    )
    installment = models.ForeignKey(
        Installment, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    credit_note = models.ForeignKey(
        "sales.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations_as_credit",
    )
    write_off = models.ForeignKey(
        WriteOff, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    amount = models.DecimalField("montant lettré", max_digits=14, decimal_places=2)
    allocated_on = models.DateField("lettré le")
    # The day the credit's money counts as received, whatever the day it was matched:
    # a payment's received_on (kept in step when a cheque goes on a remittance slip), a
    # credit note's issue date, a write-off's date. Penalties stop, and an invoice counts
    # as paid, on this day (services.allocation.paid_on).
    paid_on = models.DateField("payé le")
    undone_on = models.DateField("délettré le", null=True, blank=True)
    undo_reason = models.CharField("motif du délettrage", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["allocated_on", "id"]
        verbose_name = "lettrage"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
            models.CheckConstraint(
                condition=(
                    Q(installment__isnull=False, refund__isnull=True)
                    | Q(installment__isnull=True, refund__isnull=False)
                ),
                name="allocation_one_debit",
            ),
            models.CheckConstraint(
                condition=(
                    Q(payment__isnull=False, credit_note__isnull=True, write_off__isnull=True)
                    | Q(payment__isnull=True, credit_note__isnull=False, write_off__isnull=True)
                    | Q(payment__isnull=True, credit_note__isnull=True, write_off__isnull=False)
                ),
                name="allocation_one_credit",
            ),
        ]
        # The as-of sums of one row's allocations read amount and undone_on from the
        # index itself on PostgreSQL (INCLUDE), one probe per open row.
        indexes = [
            models.Index(fields=["company", "allocated_on"]),
            models.Index(
                fields=["installment", "allocated_on"],
                include=["amount", "undone_on"],
                name="allocation_installment_idx",
            ),
            models.Index(
                fields=["payment", "allocated_on"],
                include=["amount", "undone_on"],
                name="allocation_payment_idx",
            ),
            # The latest undo of a company (selectors.stored_is_current).
            models.Index(
                fields=["company", "undone_on"],
                condition=Q(undone_on__isnull=False),
                name="allocation_undone_idx",
            ),
        ]

    def __str__(self):
        return f"Lettrage {self.amount} du {self.allocated_on:%d/%m/%Y}"

    @property
    def is_active(self) -> bool:
        return self.undone_on is None
