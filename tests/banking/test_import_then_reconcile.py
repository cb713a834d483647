"""A statement file dropped by an accountant: imported, then reconciled by the job the
import queues, with nothing else to do."""

import datetime as dt
from decimal import Decimal

import pytest

from encaisse.banking.formats import MalformedStatement
from encaisse.banking.models import BankLine, BankMatch, LineStatus
from encaisse.banking.services.imports import import_file
from encaisse.jobs.models import Job
from encaisse.jobs.runner import run_pending_jobs
from encaisse.receivables.models import Installment

pytestmark = pytest.mark.django_db

IBAN = "FR7630003012340123456789057"  # the sg_account fixture's


def camt053(entries: str, opening: str, closing: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-02-13T06:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>S1</Id><CreDtTm>2026-02-13T06:00:00</CreDtTm>
   <Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>
   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{opening}</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-02-11</Dt></Dt></Bal>
   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{closing}</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-02-12</Dt></Dt></Bal>
   {entries}
  </Stmt>
 </BkToCstmrStmt>
</Document>""".encode()


def credit(amount: str, text: str) -> str:
    return f"""<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
 <BookgDt><Dt>2026-02-12</Dt></BookgDt><ValDt><Dt>2026-02-12</Dt></ValDt>
 <NtryDtls><TxDtls><RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""


def test_an_imported_file_is_reconciled_by_the_job_it_queues(
    company, admin, sg_account, invoice_of
):
    invoice = invoice_of(2, dt.date(2026, 1, 10))  # 2 x 65.00 HT + 20 % = 156.00
    run_pending_jobs()  # its render: the queue starts empty
    data = camt053(
        credit("156.00", f"VIR SEPA RECU FACT {invoice.number}")
        + credit("80.00", "VIR SEPA RECU INCONNU SANS REFERENCE"),
        opening="1000.00",
        closing="1236.00",
    )
    result = import_file(company, sg_account, data, name="releve.xml", by=admin)
    assert result.lines_imported == 2
    assert Job.objects.filter(name="banking.reconcile", company=company).count() == 1
    assert BankLine.objects.filter(status=LineStatus.MATCHED).count() == 0  # not yet

    run_pending_jobs()
    paid = BankLine.objects.get(amount=Decimal("156.00"))
    assert paid.status == LineStatus.MATCHED
    match = BankMatch.objects.get(line=paid)
    assert match.automatic and invoice.number in match.explanation
    assert Installment.objects.get(invoice=invoice).open_amount == Decimal("0.00")
    unknown = BankLine.objects.get(amount=Decimal("80.00"))
    assert unknown.status in (LineStatus.UNMATCHED, LineStatus.PROPOSED)

    # The same file again: nothing imported, nothing more to reconcile.
    again = import_file(company, sg_account, data, name="releve.xml", by=admin)
    assert again.already_imported
    assert Job.objects.filter(name="banking.reconcile", company=company).count() == 1


def test_a_refused_file_queues_nothing(company, admin, sg_account):
    data = camt053(credit("abc", "X"), opening="0", closing="0")
    with pytest.raises(MalformedStatement):
        import_file(company, sg_account, data, name="faux.xml", by=admin)
    assert not Job.objects.filter(name="banking.reconcile").exists()
    assert not BankLine.objects.exists()
