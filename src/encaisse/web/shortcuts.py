"""What every back-office view needs: a logged-in member, domain errors shown to people."""

from functools import partial, wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from encaisse.companies.permissions import require
from encaisse.errors import DomainError, Forbidden, NotFound
from encaisse.money import ZERO

PAGE_SIZE = 25


def forbidden(request, message: str):
    """The 403 page with the reason (the role that lacks the right), in the layout."""
    return render(request, "403.html", {"message": message}, status=403)


def company_view(view=None, *, needs: str | None = None):
    """Login required, a current company required; Forbidden -> 403 page, NotFound -> 404.

    `needs`: the right (`companies.permissions`) without which the view answers 403 before
    doing anything, so that a page which is only a form is never shown to someone whose
    submit the service would refuse. Kept on the view as `.needs` for the tests that check
    each link and form of a page against the role. The services still check the role
    themselves; catching their Forbidden here keeps the views to "parse, call, render".
    """
    if view is None:
        return partial(company_view, needs=needs)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.company is None:
            return render(request, "encaisse/no_company.html", status=403)
        try:
            if needs is not None:
                require(request.user, request.company, needs)
            return view(request, *args, **kwargs)
        except Forbidden as exc:
            return forbidden(request, exc.message)
        except NotFound as exc:
            raise Http404(exc.message) from None

    wrapper = login_required(wrapper)
    wrapper.needs = needs
    return wrapper


def page_of(request, items, param: str = "page", size: int | None = None):
    """The page of `items` (a queryset: counted and sliced in SQL; or any sequence) that
    the query string's `param` asks for; `param` differs between the lists of one page.
    Shown by partials/pagination.html."""
    page = Paginator(items, size or PAGE_SIZE).get_page(request.GET.get(param))
    page.param = param
    return page


def error_targets(exc: DomainError) -> list[tuple[str | None, str]]:
    """(field, message) pairs of an error: its details when it lists several faults.

    A refusal for the user's role is not a form error: it goes on to the 403 page.
    """
    if isinstance(exc, Forbidden):
        raise exc
    if exc.details:
        return [(d.get("field"), d.get("message", "")) for d in exc.details]
    return [(exc.field, exc.message)]


def add_domain_error(form, exc: DomainError, aliases: dict | None = None) -> None:
    """Put the service's message next to the form field it names, else at the top."""
    aliases = aliases or {}
    targets = error_targets(exc)
    if exc.details:
        form.add_error(None, exc.message)
    for field, message in targets:
        field = aliases.get(field, field)
        if field in form.fields:
            form.add_error(field, message)
        elif not exc.details:
            form.add_error(None, message)


def report_totals(report) -> dict:
    """An aged balance's totals, each summed once: its properties sum every row at each
    use, and a page showing them five times over 46,000 customers spent a second there."""
    totals, unapplied = report.totals, report.unapplied
    return {
        "totals": totals,
        "overdue": sum(totals[1:], ZERO),
        "unapplied": unapplied,
        "balance": sum(totals, ZERO) - unapplied,
    }
