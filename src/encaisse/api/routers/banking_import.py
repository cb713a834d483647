"""Bank statements: importing a file, the statements imported, their lines."""

from django.db.models import Count, Q
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile

from encaisse.banking.models import BankLine, BankStatement
from encaisse.banking.services.accounts import account_of
from encaisse.banking.services.imports import MAX_FILE_SIZE, gaps_of, import_file
from encaisse.companies.permissions import RECONCILE_BANK, require
from encaisse.errors import ValidationFailed

from ..errors import READ, WRITE, responses
from ..pagination import page
from ..schemas.banking_import import (
    BankImportOut,
    BankLineDetailOut,
    BankLineFilters,
    BankLinePage,
    BankStatementFilters,
    BankStatementPage,
)
from . import get_or_404

statements_router = Router(tags=["banque"])
lines_router = Router(tags=["banque"])


def _gaps(statement) -> list[dict]:
    return [{"kind": g.kind, "amount": str(g.amount), "text": g.text} for g in gaps_of(statement)]


@statements_router.post(
    "",
    response=responses({200: BankImportOut, 201: BankImportOut, 202: BankImportOut}, WRITE, 404),
    summary="Importer un fichier de relevé (CAMT.053, CFONB 120, OFX, MT940)",
    description="201 : importé (résumé : lignes importées, déjà importées, écarts de solde) ; "
    "200 : fichier déjà importé, rien n'est écrit ; 202 : fichier volumineux importé en "
    "tâche de fond (`job`) ; 422 : fichier illisible (le message nomme la ligne ou "
    "l'élément), compte ou devise qui ne correspondent pas — rien n'est écrit.",
)
def import_statement(
    request,
    file: File[UploadedFile],
    account: Form[str],
):
    require(request.user, request.company, RECONCILE_BANK)
    if file.size is not None and file.size > MAX_FILE_SIZE:
        raise ValidationFailed(
            "file_too_large", f"Le fichier dépasse {MAX_FILE_SIZE // 1_000_000} Mo.", "file"
        )
    if not (account or "").strip() or len(account) > 64:
        raise ValidationFailed("required", "Indiquez le compte (IBAN ou id).", "account")
    target = account_of(request.company, account)
    result = import_file(
        request.company, target, file.read(), name=file.name or "releve", by=request.user
    )
    status = 202 if result.job is not None else 200 if result.already_imported else 201
    return status, result.as_dict()


def _statements(company):
    return (
        BankStatement.objects.filter(company=company)
        .select_related("account", "file", "previous")
        .annotate(line_count=Count("lines"))
    )


@statements_router.get(
    "", response=responses({200: BankStatementPage}, READ, 404), summary="Relevés importés"
)
def list_statements(request, filters: Query[BankStatementFilters]):
    statements = _statements(request.company)
    if filters.account:
        statements = statements.filter(account=account_of(request.company, filters.account))
    result = page(statements.order_by("-closing_date", "-id"), filters)
    for statement in result["items"]:
        statement.gaps = _gaps(statement)
    return result


def _lines(company):
    return BankLine.objects.filter(company=company)


@lines_router.get(
    "",
    response=responses({200: BankLinePage}, READ, 404),
    summary="Lignes de relevé (filtrables par statut, compte, dates, texte)",
)
def list_lines(request, filters: Query[BankLineFilters]):
    lines = _lines(request.company)
    if filters.status:
        lines = lines.filter(status=filters.status)
    if filters.account:
        lines = lines.filter(account=account_of(request.company, filters.account))
    if filters.date_from:
        lines = lines.filter(booking_date__gte=filters.date_from)
    if filters.date_to:
        lines = lines.filter(booking_date__lte=filters.date_to)
    if filters.q and filters.q.strip():
        q = filters.q.strip()
        lines = lines.filter(
            Q(label__icontains=q)
            | Q(counterparty_name__icontains=q)
            | Q(end_to_end_id__icontains=q)
            | Q(creditor_reference__icontains=q)
            | Q(bank_reference__icontains=q)
            | Q(remittance_info__icontains=q)
        )
    return page(lines.order_by("-booking_date", "-id"), filters)


@lines_router.get(
    "/{int:id}", response=responses({200: BankLineDetailOut}, 404), summary="Une ligne de relevé"
)
def get_line(request, id: int):
    return get_or_404(_lines(request.company), id, "Ligne de relevé introuvable.")
