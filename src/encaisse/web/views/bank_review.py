"""The bank reconciliation review screen (« Rapprochement bancaire »): the statement lines
to handle, one selected with its candidates, and the actions on it, keyboard-driven.

Every action is a POST to a thin view calling ONE function of `banking.review` (the seam
to the matching services). With htmx (`HX-Request`) the answer is the workspace (list +
the next line's panel) swapped in place; without scripts, a redirect to the list with
the next line selected. Errors go next to their field, the line unchanged (422).
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from encaisse.banking import review
from encaisse.banking.models import BankAccount, BankLine, LineStatus
from encaisse.companies.permissions import RECONCILE_BANK
from encaisse.errors import Conflict, DomainError
from encaisse.jobs.models import Job
from encaisse.money import format_eur
from encaisse.validation import parse_decimal

from ..exports import Column, export
from ..forms import NUMBER_MAX, REASON_MAX, SEARCH_MAX, date_field, text
from ..pickers import InstallmentPicker
from ..shortcuts import add_domain_error, company_view, error_targets, page_of

OPEN_VALUE = "open"
STATUS_OPTIONS = [
    (OPEN_VALUE, "À traiter et propositions"),
    *LineStatus.choices,
    ("all", "Toutes"),
]
FILTER_KEYS = ("account", "status", "date_from", "date_to", "amount", "q", "page")
SPLIT_ROWS = 5  # rows of the split form


# ---------------------------------------------------------------- forms


class ReviewFilterForm(forms.Form):
    account = forms.ChoiceField(label="Compte", required=False)
    status = forms.ChoiceField(label="Statut", required=False, choices=STATUS_OPTIONS)
    date_from = date_field("Du")
    date_to = date_field("au")
    amount = text("Montant", max_length=NUMBER_MAX)
    q = text("Rechercher", max_length=SEARCH_MAX)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "Tous")] + [(str(a.pk), str(a)) for a in accounts]

    def clean_amount(self):
        value = self.cleaned_data.get("amount", "")
        if not value:
            return None
        try:
            return parse_decimal(value, "amount", "Le montant", places=2)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None


class SearchForm(forms.Form):
    candidate = InstallmentPicker(label="Autre facture")

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].company = company


class AssignForm(forms.Form):
    account = text("Compte", max_length=12, initial="627")
    label = text("Libellé de l'écriture", max_length=200)
    rule = text("Créer une règle : libellé contient", max_length=100)


class IgnoreForm(forms.Form):
    reason = text("Motif", max_length=REASON_MAX)


class BulkForm(forms.Form):
    score = forms.IntegerField(label="Score minimum", min_value=0, max_value=100, initial=90)


# ---------------------------------------------------------------- reading


def _filters(request, data=None):
    """(form, Q of the lines) from the query string (or `data`, the posted `back`)."""
    accounts = list(BankAccount.objects.filter(company=request.company).order_by("name"))
    form = ReviewFilterForm(data if data is not None else request.GET, accounts=accounts)
    form.is_valid()
    cleaned = form.cleaned_data
    condition = Q()
    if cleaned.get("account"):
        condition &= Q(account_id=int(cleaned["account"]))
    if cleaned.get("date_from"):
        condition &= Q(booking_date__gte=cleaned["date_from"])
    if cleaned.get("date_to"):
        condition &= Q(booking_date__lte=cleaned["date_to"])
    if cleaned.get("amount") is not None:
        amount = cleaned["amount"]
        condition &= Q(amount=amount) | Q(amount=-amount)
    if cleaned.get("q"):
        q = cleaned["q"].strip()
        condition &= Q(label__icontains=q) | Q(counterparty_name__icontains=q)
    return form, condition, accounts


def _status_q(status: str) -> Q:
    if status in LineStatus.values:
        return Q(status=status)
    if status == "all":
        return Q()
    return Q(status__in=review.OPEN)


def _lines(request, condition, status):
    return (
        BankLine.objects.filter(company=request.company)
        .filter(condition)
        .filter(_status_q(status))
        .select_related("account", "proposal")
        .order_by("booking_date", "pk")
    )


def _counts(request, condition) -> dict:
    rows = (
        BankLine.objects.filter(company=request.company)
        .filter(condition)
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = {value: 0 for value in LineStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def _back(request) -> str:
    """The list's query string, kept across the actions (only the known filters)."""
    source = request.POST.get("back", "") if request.method == "POST" else request.GET.urlencode()
    from django.http import QueryDict

    params = QueryDict(source)
    return urlencode([(k, params.get(k)) for k in FILTER_KEYS if params.get(k)])


def _line(request, pk):
    return get_object_or_404(
        BankLine.objects.select_related("account", "statement", "company", "proposal"),
        pk=pk,
        company=request.company,
    )


def _panel(request, line, forms_=None):
    """The context of a selected line's panel."""
    forms_ = forms_ or {}
    found = review.candidates(line) if line.status in review.OPEN else []
    matches = list(review.active_matches(line)) if line.status not in review.OPEN else []
    split_rows = forms_.get("split_rows") or [
        {"what": "", "amount": "", "errors": []} for _ in range(SPLIT_ROWS)
    ]
    return {
        "line": line,
        "candidates": found,
        "matches": matches,
        "search_form": forms_.get("search") or SearchForm(company=request.company),
        "assign_form": forms_.get("assign")
        or AssignForm(initial={"label": line.label[:200], "account": "627"}),
        "ignore_form": forms_.get("ignore") or IgnoreForm(),
        "split_rows": split_rows,
        "split_error": forms_.get("split_error"),
        "accept_error": forms_.get("accept_error"),
        "undo_error": forms_.get("undo_error"),
        "open_form": forms_.get("open_form", ""),
        "texts": [
            ("Libellé", line.label),
            ("Contrepartie", line.counterparty_name),
            ("IBAN de la contrepartie", line.counterparty_iban),
            ("Référence de bout en bout", line.end_to_end_id),
            ("Référence créancier (RF)", line.creditor_reference),
            ("Informations de remise", line.remittance_info),
            ("Référence banque", line.bank_reference),
            ("Code opération", line.transaction_code),
            ("Détails", line.details),
        ],
    }


def _import_url() -> str:
    """The statement import page (import lane), when it exists."""
    for name in ("web:bank_statements",):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def _workspace(request, selected_pk=None, forms_=None, status=200, data=None):
    """The whole screen: filters, counts, the page of lines with their best proposal, and
    the selected line's panel (the first of the page when none is asked)."""
    form, condition, accounts = _filters(request, data)
    status_value = form.cleaned_data.get("status") or OPEN_VALUE
    page = page_of(request, _lines(request, condition, status_value))
    rows = list(page.object_list)
    proposals = review.best(request.company, rows)
    selected = None
    if selected_pk is not None:
        selected = next((r for r in rows if r.pk == selected_pk), None)
        if selected is None:
            selected = (
                BankLine.objects.filter(company=request.company, pk=selected_pk)
                .select_related("account", "statement", "company")
                .first()
            )
    elif rows:
        selected = rows[0]
    job = None
    if str(request.GET.get("job", "")).isdigit():
        job = Job.objects.filter(
            pk=request.GET["job"],
            company=request.company,
            name__in=[review.BULK_JOB, review.ENGINE_JOB],
        ).first()
    counts = _counts(request, condition)
    context = {
        "form": form,
        "rows": [(r, proposals.get(r.pk)) for r in rows],
        "page": page,
        "counts": counts,
        "open_count": counts[LineStatus.UNMATCHED] + counts[LineStatus.PROPOSED],
        "status_value": status_value,
        "statuses": LineStatus.choices,
        "filtered": any(
            v for k, v in form.cleaned_data.items() if k != "status" and v not in (None, "")
        )
        or status_value != OPEN_VALUE,
        "has_accounts": bool(accounts),
        "back": _back(request)
        if data is None
        else urlencode([(k, data.get(k)) for k in FILTER_KEYS if data.get(k)]),
        "bulk_form": BulkForm(request.POST if forms_ and forms_.get("bulk") else None),
        "bulk_error": (forms_ or {}).get("bulk_error"),
        "job": job,
        "hx": bool(request.headers.get("HX-Request")),
        "import_url": _import_url(),
        "nav": "bank_review",
    }
    if selected is not None:
        context.update(_panel(request, selected, forms_))
    template = "encaisse/bank/review.html"
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        template = "encaisse/bank/_workspace.html"
    return render(request, template, context, status=status)


@company_view
def bank_review(request):
    selected = request.GET.get("line", "")
    return _workspace(request, int(selected) if selected.isdigit() else None)


@company_view
def bank_review_line(request, pk):
    """One line's panel (htmx: Enter, a click on a row); without scripts, the screen."""
    line = _line(request, pk)
    if request.headers.get("HX-Request"):
        context = _panel(request, line)
        context["back"] = _back(request)
        return render(request, "encaisse/bank/_panel.html", context)
    return _workspace(request, line.pk)


@company_view
def bank_review_export(request):
    form, condition, _ = _filters(request)
    lines = _lines(request, condition, form.cleaned_data.get("status") or OPEN_VALUE)
    columns = [
        Column("Compte", lambda r: str(r.account), width=24),
        Column("Date", lambda r: r.booking_date, width=12),
        Column("Libellé", lambda r: r.label, width=50),
        Column("Contrepartie", lambda r: r.counterparty_name, width=30),
        Column("Montant", lambda r: r.amount, money=True),
        Column("Statut", lambda r: r.get_status_display(), width=18),
    ]
    return export(request, "rapprochement", "Rapprochement", columns, lines)


# ---------------------------------------------------------------- acting


def _next_open(request, line, back: str):
    """The next line to handle after `line`, in the list's order and filters."""
    from django.http import QueryDict

    params = QueryDict(back)
    _form, condition, _ = _filters(request, params)
    lines = BankLine.objects.filter(company=request.company, status__in=review.OPEN).filter(
        condition
    )
    after = (
        lines.filter(
            Q(booking_date__gt=line.booking_date)
            | Q(booking_date=line.booking_date, pk__gt=line.pk)
        )
        .order_by("booking_date", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return after or lines.order_by("booking_date", "pk").values_list("pk", flat=True).first()


def _done(request, line, message: str, *, keep=False):
    """After an action: the next line (htmx: the workspace; else a redirect)."""
    back = request.POST.get("back", "")
    target = line.pk if keep else _next_open(request, line, back)
    messages.success(request, message)
    if request.headers.get("HX-Request"):
        from django.http import QueryDict

        params = QueryDict(back)
        request.GET = params
        return _workspace(request, target, data=params)
    query = back + (f"&line={target}" if back and target else f"line={target}" if target else "")
    return HttpResponseRedirect(reverse("web:bank_review") + (f"?{query}" if query else ""))


def _failed(request, line, forms_, status=422, exc=None):
    """The screen again with the errors; a line handled meanwhile says so on top."""
    from django.http import QueryDict

    if exc is not None:
        forms_ = {"accept_error": exc.message}

    params = QueryDict(request.POST.get("back", ""))
    request.GET = params
    return _workspace(request, line.pk, forms_=forms_, status=status, data=params)


def _describe(line) -> str:
    return f"Ligne du {line.booking_date:%d/%m/%Y} de {format_eur(line.amount)}"


@company_view(needs=RECONCILE_BANK)
@require_POST
def bank_review_accept(request, pk):
    """Accept a candidate: the posted `key` (a, 1-9), or the installment searched (/)."""
    line = _line(request, pk)
    key = request.POST.get("key", "").strip()
    search = None
    if not key:
        search = SearchForm(request.POST, company=request.company)
        if not search.is_valid():
            return _failed(request, line, {"search": search, "open_form": "search"})
        key = f"i{search.cleaned_data['candidate']}"
    try:
        review.accept(line, key, by=request.user)
    except DomainError as exc:
        message = "; ".join(m for _, m in error_targets(exc))
        if search is not None:
            search.add_error("candidate", message)
            return _failed(request, line, {"search": search, "open_form": "search"})
        return _failed(request, line, {"accept_error": message})
    return _done(request, line, f"{_describe(line)} rapprochée.")


@company_view(needs=RECONCILE_BANK)
@require_POST
def bank_review_split(request, pk):
    line = _line(request, pk)
    rows = [
        (request.POST.get(f"what-{n}", "")[:60], request.POST.get(f"amount-{n}", "")[:NUMBER_MAX])
        for n in range(1, SPLIT_ROWS + 1)
    ]
    try:
        review.split(line, rows, by=request.user)
    except DomainError as exc:
        if isinstance(exc, Conflict):
            return _failed(request, line, {}, exc=exc)
        shown = [{"what": w, "amount": a, "errors": []} for w, a in rows]
        kept = [n for n, (w, a) in enumerate(rows) if w.strip() or a.strip()]
        general = []
        for field, message in error_targets(exc):
            parts = (field or "").split(".")
            if len(parts) == 3 and parts[0] == "rows" and parts[1].isdigit():
                index = int(parts[1]) - 1
                if index < len(kept):
                    shown[kept[index]]["errors"].append(message)
                    continue
            general.append(message)
        return _failed(
            request,
            line,
            {
                "split_rows": shown,
                "split_error": " ".join(general) or exc.message,
                "open_form": "split",
            },
        )
    return _done(request, line, f"{_describe(line)} répartie.")


@company_view(needs=RECONCILE_BANK)
@require_POST
def bank_review_assign(request, pk):
    line = _line(request, pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            review.assign(line, data["account"], data["label"], rule=data["rule"], by=request.user)
        except DomainError as exc:
            if isinstance(exc, Conflict):
                return _failed(request, line, {}, exc=exc)
            add_domain_error(form, exc)
        else:
            return _done(request, line, f"{_describe(line)} imputée au compte {data['account']}.")
    return _failed(request, line, {"assign": form, "open_form": "assign"})


@company_view(needs=RECONCILE_BANK)
@require_POST
def bank_review_ignore(request, pk):
    line = _line(request, pk)
    form = IgnoreForm(request.POST)
    if form.is_valid():
        try:
            review.ignore(line, form.cleaned_data["reason"], by=request.user)
        except DomainError as exc:
            if isinstance(exc, Conflict):
                return _failed(request, line, {}, exc=exc)
            add_domain_error(form, exc)
        else:
            return _done(request, line, f"{_describe(line)} ignorée.")
    return _failed(request, line, {"ignore": form, "open_form": "ignore"})


@company_view(needs=RECONCILE_BANK)
@require_POST
def bank_review_undo(request, pk):
    line = _line(request, pk)
    try:
        review.undo(line, by=request.user)
    except DomainError as exc:
        return _failed(request, line, {"undo_error": exc.message})
    return _done(request, line, f"{_describe(line)} remise à traiter.", keep=True)


@company_view(needs=RECONCILE_BANK)
@require_POST
def bank_review_bulk(request):
    """Accept every proposal of the list's filters scoring at least N: at once for a few
    lines, else as a job whose progress the screen shows."""
    from django.http import QueryDict

    back = QueryDict(request.POST.get("back", ""))
    form = BulkForm(request.POST)
    if not form.is_valid():
        request.GET = back
        return _workspace(request, forms_={"bulk": True}, status=422, data=back)
    _form, condition, _ = _filters(request, back)
    score = form.cleaned_data["score"]
    ids = review.bulk_candidates(request.company, condition, score)
    outcome = review.start_bulk_accept(request.company, ids, score, by=request.user)
    query = urlencode([(k, back.get(k)) for k in FILTER_KEYS if back.get(k) and k != "page"])
    if isinstance(outcome, Job):
        query = "&".join(p for p in (query, f"job={outcome.pk}") if p)
    else:
        accepted, refused = outcome
        text = f"{accepted} proposition{'s' if accepted > 1 else ''} ≥ {score} acceptée"
        text += "s" if accepted > 1 else ""
        messages.success(request, text + (f", {refused} refusée(s)." if refused else "."))
    return HttpResponseRedirect(reverse("web:bank_review") + (f"?{query}" if query else ""))


@company_view(needs=RECONCILE_BANK)
@require_POST
def bank_review_engine(request):
    """« Relancer le rapprochement »: the engine over the lines to do, as a job."""
    job = review.start_engine(request.company, by=request.user)
    return HttpResponseRedirect(f"{reverse('web:bank_review')}?job={job.pk}")
