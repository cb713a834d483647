"""Every change of state of receivables.

installments  the due dates of an invoice, created when it is issued
payments      payments received, remittance slips for cheques
allocation    lettrage: propose, allocate, undo, write off a small difference, refund
"""
