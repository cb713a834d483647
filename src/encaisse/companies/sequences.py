"""Continuous number series: one row per company, document type and year, locked by the
transaction that takes the next number."""

from django.db import IntegrityError, transaction

from .models import Company, NumberSequence


def lock_sequence(company: Company, document_type: str, year: int) -> NumberSequence:
    """The series row, locked (SELECT ... FOR UPDATE) until the transaction ends; created
    on first use."""
    key = {"company": company, "document_type": document_type, "year": year}
    sequence = NumberSequence.objects.select_for_update().filter(**key).first()
    if sequence is None:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(**key)
        except IntegrityError:
            pass  # another transaction created it first; its row is ours to wait for
        sequence = NumberSequence.objects.select_for_update().get(**key)
    return sequence
