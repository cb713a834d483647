"""Dunning (relances): the reminders list and its run, a reminder's page and actions, the
scenarios settings, the collector's agenda, the customer's dunning profile."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from encaisse.companies.permissions import COLLECT, EDIT_COMPANY, can
from encaisse.customers.models import Customer, Segment
from encaisse.documents.responses import pdf_inline
from encaisse.dunning import actions, scenarios
from encaisse.dunning.desk import desk as desk_of
from encaisse.dunning.jobs import start_run
from encaisse.dunning.models import (
    OPEN_REMINDER_STATUSES,
    Channel,
    DunningScenario,
    Reminder,
    ReminderStatus,
    Template,
)
from encaisse.dunning.run import check_run_date
from encaisse.errors import DomainError, NotFound
from encaisse.jobs.models import Job, JobState

from .. import audit
from ..exports import Column, export
from ..forms import REASON_MAX, RECIPIENTS_MAX, SEARCH_MAX, date_field, members_of, text
from ..shortcuts import add_domain_error, company_view, page_of
from .jobs import started_job

MANAGE = COLLECT
LEVEL_LABELS = {
    0: "0 — Rappel avant échéance",
    1: "1 — Relance amiable",
    2: "2 — Relance formelle",
    3: "3 — Mise en demeure",
    4: "4 — Précontentieux",
}
STATUS_FILTER = [
    ("", "En cours (à valider, reportées, suspendues)"),
    *ReminderStatus.choices,
    ("all", "Toutes"),
]


def collection_file_url(customer_id) -> str:
    """The customer's collection file (built by another part of the dunning), or the
    customer page while that page does not exist."""
    try:
        return reverse("web:collection_file", args=[customer_id])
    except NoReverseMatch:
        return reverse("web:customer_detail", args=[customer_id])


# ---------------------------------------------------------------- forms


class ReminderFilterForm(forms.Form):
    status = forms.ChoiceField(label="Statut", required=False, choices=STATUS_FILTER)
    level = forms.ChoiceField(
        label="Niveau", required=False, choices=[("", "Tous"), *LEVEL_LABELS.items()]
    )
    q = text("Client", max_length=SEARCH_MAX)
    mine = forms.BooleanField(label="Mes clients", required=False)


class RunForm(forms.Form):
    as_of = date_field("Date de relance")


class SendForm(forms.Form):
    to = text(
        "Destinataires",
        max_length=RECIPIENTS_MAX,
        help_text="Vide : le contact destinataire des factures ou l'e-mail du client.",
    )
    registered_mail_ref = text("N° de recommandé", of=Reminder.registered_mail_ref)


class EditForm(forms.Form):
    subject = text("Objet", of=Reminder.subject)
    body = text("Message", of=Reminder.body, rows=14)


class PostponeForm(forms.Form):
    until = date_field("Reporter au")
    reason = text("Motif", max_length=REASON_MAX)


class CancelForm(forms.Form):
    reason = text("Motif de l'annulation", of=Reminder.hold_reason, area=False)


class RegisteredForm(forms.Form):
    ref = text("N° de recommandé", of=Reminder.registered_mail_ref)


class ProfileForm(forms.Form):
    collector = forms.ChoiceField(label="Gestionnaire de recouvrement", required=False)
    exclusion_reason = text(
        "Motif d'exclusion des relances",
        of=Customer.dunning_exclusion_reason,
        help_text="Vide : le client est relancé.",
    )
    excluded_until = date_field("Exclu jusqu'au (vide : jusqu'à levée)")

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collector"].choices = members_of(company)


class ScenarioForm(forms.Form):
    name = text("Nom", of=DunningScenario.name)
    segments = forms.MultipleChoiceField(
        label="Segments suivant ce scénario",
        required=False,
        choices=Segment.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    block_level = forms.TypedChoiceField(
        label="Bloquer la facturation dès le niveau",
        coerce=int,
        choices=[(r, LEVEL_LABELS[r]) for r in range(1, 5)] + [(5, "Jamais")],
        initial=3,
    )


# ---------------------------------------------------------------- reminders list and run


def _filtered(request):
    form = ReminderFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    status = data.get("status")
    if not status:
        status = list(OPEN_REMINDER_STATUSES)
    elif status == "all":
        status = None
    qs = actions.reminders(
        request.company,
        status=status,
        level=data.get("level") or None,
        collector=request.user if data.get("mine") else None,
    )
    if data.get("q"):
        qs = qs.filter(customer__legal_name__icontains=data["q"])
    filtered = any(data.get(k) for k in ("status", "level", "q", "mine"))
    return form, qs, filtered


def _run_job(request):
    """The dunning run to show on the list: the one just started (`?job=`), else the
    company's latest of the last day (the morning's scheduled run)."""
    started = started_job(request)
    if started is not None and started.name == "dunning.run":
        return started
    runs = Job.objects.filter(company=request.company, name="dunning.run")
    since = timezone.now() - dt.timedelta(days=1)
    return runs.filter(created_at__gte=since).order_by("-created_at", "-id").first()


@company_view
def reminder_list(request, run_form=None):
    form, qs, filtered = _filtered(request)
    today = timezone.localdate()
    return render(
        request,
        "encaisse/dunning/list.html",
        {
            "form": form,
            "page": page_of(request, qs),
            "filtered": filtered,
            "run_form": run_form or RunForm(initial={"as_of": today}),
            "run_job": _run_job(request),
            "nav": "dunning",
        },
        status=422 if run_form is not None and run_form.errors else 200,
    )


def _sent(reminder) -> bool:
    return reminder.status == ReminderStatus.SENT


@company_view
def reminder_export(request):
    _, qs, _ = _filtered(request)
    columns = [
        Column("N°", lambda r: r.pk, width=8),
        Column("Proposée le", lambda r: r.proposed_on, width=12),
        Column("Client", lambda r: r.customer.legal_name, width=34),
        Column("Niveau", lambda r: r.level, width=8),
        Column("Modèle", lambda r: r.get_template_display(), width=22),
        Column("Canal", lambda r: r.get_channel_display(), width=22),
        Column("Statut", lambda r: r.get_status_display(), width=12),
        Column("Principal", lambda r: r.principal, money=True),
        # Penalties and fees are stored when a reminder is sent; until then they are
        # computed for its page and letter only: blank here rather than a false zero.
        Column("Pénalités", lambda r: r.penalties if _sent(r) else None, money=True),
        Column("Indemnités", lambda r: r.recovery_fees if _sent(r) else None, money=True),
        Column("Total", lambda r: r.total if _sent(r) else None, money=True),
        Column("Reportée au", lambda r: r.postponed_until, width=12),
        Column("Envoyée le", lambda r: r.sent_on, width=12),
        Column("N° de recommandé", lambda r: r.registered_mail_ref, width=18),
        Column("Motif", lambda r: r.hold_reason, width=50),
    ]
    return export(request, "relances", "Relances", columns, qs)


@require_POST
@company_view(needs=MANAGE)
def dunning_run(request):
    """Queue the run of the date as a job (the same as the morning's scheduled run: one
    per company and day) and show its progress on the list."""
    form = RunForm(request.POST)
    if form.is_valid():
        as_of = form.cleaned_data["as_of"] or timezone.localdate()
        try:
            # Refused at once (next to the date): a future day, a day before the open
            # proposals. The job checks again when it runs.
            check_run_date(request.company, as_of)
            run = start_run(request.company, as_of, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if run.state == JobState.DONE:
                messages.info(
                    request,
                    f"La relance du {as_of:%d/%m/%Y} a déjà été faite "
                    f"({timezone.localtime(run.finished_at):%d/%m/%Y à %H:%M}) : "
                    "une seule par jour.",
                )
            return redirect(f"{reverse('web:reminders')}?job={run.pk}")
    return reminder_list(request, run_form=form)


# ---------------------------------------------------------------- one reminder


def _message(reminder) -> tuple[str, str, str]:
    """(subject, body, error) of the e-mail as it will go: the collector's edits, else
    the level's default text. The default text states the penalties: when they cannot
    be computed (a reference rate missing), the page says why instead of failing."""
    from encaisse.dunning.messages import default_message

    try:
        subject, body = default_message(reminder)
    except DomainError as exc:
        subject, body, error = "", "", exc.message
    else:
        error = ""
    return reminder.subject or subject, reminder.body or body, error


@company_view
def reminder_detail(request, pk, forms_given=None):
    reminder = actions.get_reminder(request.company, pk)
    forms_given = forms_given or {}
    is_open = reminder.status in OPEN_REMINDER_STATUSES
    is_email = reminder.channel in actions.EMAIL_CHANNELS
    is_letter = reminder.channel in actions.LETTER_CHANNELS
    # The amounts the letter claims (stored once sent, else computed as the send will).
    try:
        items, amounts_error = actions.claimed_amounts(reminder), ""
    except DomainError as exc:
        items, amounts_error = reminder.items.select_related("invoice"), exc.message
    subject, body, message_error = _message(reminder) if is_email else ("", "", "")
    today = timezone.localdate()
    context = {
        "reminder": reminder,
        "items": items,
        "amounts_error": amounts_error,
        "claims_penalties": reminder.template in actions.PENALTY_TEMPLATES,
        "stale": reminder.status != ReminderStatus.SENT and reminder.proposed_on < today,
        "today": today,
        "is_open": is_open,
        "is_email": is_email,
        "is_letter": is_letter,
        "is_registered": reminder.is_registered,
        "is_phone": reminder.channel == Channel.PHONE,
        "is_held": reminder.status == ReminderStatus.HELD,
        "subject": subject,
        "body": body,
        "message_error": message_error,
        "edited": bool(reminder.subject or reminder.body),
        "file_url": collection_file_url(reminder.customer_id),
        "may_manage": can(request.user, request.company, MANAGE),
        "send_form": forms_given.get("send") or SendForm(prefix="send"),
        "edit_form": forms_given.get("edit")
        or EditForm(prefix="edit", initial={"subject": subject, "body": body}),
        "postpone_form": forms_given.get("postpone")
        or PostponeForm(prefix="postpone", initial={"until": today + dt.timedelta(days=1)}),
        "cancel_form": forms_given.get("cancel") or CancelForm(prefix="cancel"),
        "registered_form": forms_given.get("registered")
        or RegisteredForm(prefix="registered", initial={"ref": reminder.registered_mail_ref}),
        "trail": audit.entries(reminder),
        "nav": "dunning",
    }
    return render(
        request,
        "encaisse/dunning/detail.html",
        context,
        status=422 if any(f.errors for f in forms_given.values()) else 200,
    )


def _action(request, pk, key, form_class, call, success):
    """Parse the form, call the service, say what happened; errors next to the fields."""
    reminder = actions.get_reminder(request.company, pk)
    # Prefixed: the page holds several forms with a "reason" field.
    form = form_class(request.POST, prefix=key)
    if form.is_valid():
        try:
            done = call(reminder, form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, success(done))
            return redirect("web:reminder_detail", pk=reminder.pk)
    return reminder_detail(request, pk, forms_given={key: form})


@require_POST
@company_view(needs=MANAGE)
def reminder_send(request, pk):
    def call(reminder, data):
        return actions.send_reminder(
            reminder,
            by=request.user,
            to=data["to"] or None,
            registered_mail_ref=data["registered_mail_ref"],
        )

    def success(r):
        if r.channel == Channel.PHONE:
            return f"Relance n° {r.pk} validée le {r.sent_on:%d/%m/%Y}."
        what = "envoyée" if r.channel in actions.EMAIL_CHANNELS else "validée (courrier à poster)"
        return f"Relance n° {r.pk} {what} le {r.sent_on:%d/%m/%Y}."

    return _action(request, pk, "send", SendForm, call, success)


@require_POST
@company_view(needs=MANAGE)
def reminder_edit(request, pk):
    def call(reminder, data):
        return actions.edit_reminder(reminder, data, by=request.user)

    return _action(request, pk, "edit", EditForm, call, lambda r: "Message enregistré.")


@require_POST
@company_view(needs=MANAGE)
def reminder_postpone(request, pk):
    def call(reminder, data):
        return actions.postpone_reminder(
            reminder, data["until"], by=request.user, reason=data["reason"]
        )

    return _action(
        request,
        pk,
        "postpone",
        PostponeForm,
        call,
        lambda r: f"Relance reportée au {r.postponed_until:%d/%m/%Y}.",
    )


@require_POST
@company_view(needs=MANAGE)
def reminder_cancel(request, pk):
    def call(reminder, data):
        return actions.cancel_reminder(reminder, data["reason"], by=request.user)

    return _action(request, pk, "cancel", CancelForm, call, lambda r: "Relance annulée.")


@require_POST
@company_view(needs=MANAGE)
def reminder_registered(request, pk):
    def call(reminder, data):
        return actions.record_registered_mail(reminder, data["ref"], by=request.user)

    return _action(
        request,
        pk,
        "registered",
        RegisteredForm,
        call,
        lambda r: f"N° de recommandé {r.registered_mail_ref} enregistré.",
    )


@company_view
def reminder_letter(request, pk):
    """The letter as sent (stored), or a preview rendered now for a reminder not sent."""
    reminder = actions.get_reminder(request.company, pk)
    if reminder.channel not in actions.LETTER_CHANNELS:
        raise NotFound("Cette relance n'a pas de courrier.")
    if reminder.status == ReminderStatus.SENT and reminder.letter_pdf:
        data = bytes(reminder.letter_pdf)
    else:
        from encaisse.documents.reminders import reminder_pdf

        try:
            data = reminder_pdf(reminder)
        except DomainError as exc:
            messages.error(request, f"Aperçu de la lettre impossible : {exc.message}")
            return redirect("web:reminder_detail", pk=reminder.pk)
    from encaisse.dunning.messages import letter_filename

    filename = letter_filename(reminder)
    if reminder.status != ReminderStatus.SENT:
        filename = f"apercu-{filename}"
    return pdf_inline(data, filename)


# ---------------------------------------------------------------- scenarios


LEVEL_ROWS = range(0, 5)


def _level_rows(scenario, post=None, errors=None):
    """One row per possible rank (0 to 4): used or not, day offset, channel, validation."""
    existing = {level.rank: level for level in scenario.levels.all()} if scenario else {}
    if scenario is None:
        existing = {
            rank: {"day_offset": offset, "channel": channel, "needs_validation": validation}
            for rank, offset, channel, _t, validation in scenarios.DEFAULT_LEVELS
        }
    rows = []
    for rank in LEVEL_ROWS:
        level = existing.get(rank)
        if post is not None:
            used = bool(post.get(f"level-{rank}-used"))
            offset = post.get(f"level-{rank}-day_offset", "")
            channel = post.get(f"level-{rank}-channel", "")
            validation = bool(post.get(f"level-{rank}-needs_validation"))
        elif isinstance(level, dict):
            used, offset = True, level["day_offset"]
            channel, validation = level["channel"], level["needs_validation"]
        elif level is not None:
            used, offset = True, level.day_offset
            channel, validation = level.channel, level.needs_validation
        else:
            used, offset = False, "" if rank else -5
            channel, validation = Channel.EMAIL, rank >= 2
        rows.append(
            {
                "rank": rank,
                "label": Template(scenarios.RANK_TEMPLATES[rank]).label,
                "used": used,
                "day_offset": offset,
                "channel": channel,
                "needs_validation": validation,
                "error": (errors or {}).get(rank),
            }
        )
    return rows


def _scenario_save(request, scenario):
    if scenario is None:
        initial = {"block_level": 3}
    else:
        initial = {
            "name": scenario.name,
            "segments": scenario.segments,
            "block_level": scenario.block_level,
        }
    form = ScenarioForm(request.POST or None, initial=initial)
    rows = _level_rows(scenario, request.POST if request.method == "POST" else None)
    levels_error = None
    if request.method == "POST" and form.is_valid():
        used = [row for row in rows if row["used"]]
        data = {
            **form.cleaned_data,
            "levels": [
                {
                    "rank": row["rank"],
                    "day_offset": row["day_offset"],
                    "channel": row["channel"],
                    "needs_validation": row["needs_validation"],
                }
                for row in used
            ],
        }
        try:
            if scenario is None:
                saved = scenarios.create_scenario(request.company, data, by=request.user)
            else:
                saved = scenarios.update_scenario(scenario, data, by=request.user)
        except DomainError as exc:
            field = exc.field or ""
            if field.startswith("levels."):
                # "levels.N": the N-th level sent, i.e. the N-th row in use.
                position = int(field.split(".")[1])
                used[position]["error"] = exc.message
            elif field == "levels":
                levels_error = exc.message
            else:
                add_domain_error(form, exc)
        else:
            messages.success(request, f"Scénario « {saved.name} » enregistré.")
            return redirect("web:dunning_scenarios")
    failed = request.method == "POST"
    return render(
        request,
        "encaisse/dunning/scenario_form.html",
        {
            "form": form,
            "rows": rows,
            "levels_error": levels_error,
            "level_errors": bool(levels_error) or any(row["error"] for row in rows),
            "scenario": scenario,
            "channels": Channel.choices,
            "nav": "company",
        },
        status=422 if failed else 200,
    )


@company_view
def scenario_list(request):
    default, _ = scenarios.scenarios_by_segment(request.company)
    items = DunningScenario.objects.filter(company=request.company).prefetch_related("levels")
    segment_labels = dict(Segment.choices)
    rows = []
    taken = set()
    for s in items:
        taken.update(s.segments)
        rows.append((s, [segment_labels.get(seg, seg) for seg in s.segments]))
    return render(
        request,
        "encaisse/dunning/scenarios.html",
        {
            "rows": rows,
            "default": default,
            "untaken": [label for value, label in Segment.choices if value not in taken],
            "level_labels": LEVEL_LABELS,
            "nav": "company",
        },
    )


@company_view(needs=EDIT_COMPANY)
def scenario_create(request):
    return _scenario_save(request, None)


@company_view(needs=EDIT_COMPANY)
def scenario_edit(request, pk):
    scenario = get_object_or_404(DunningScenario, company=request.company, pk=pk)
    return _scenario_save(request, scenario)


# ---------------------------------------------------------------- the collector's agenda


@company_view
def desk(request):
    everyone = request.GET.get("tous") == "1"
    today = timezone.localdate()
    agenda = desk_of(request.company, request.user, today, everyone=everyone)
    for section in agenda.sections:
        for row in section.rows:
            row.file_url = collection_file_url(row.customer.pk)
    return render(
        request,
        "encaisse/dunning/desk.html",
        {"desk": agenda, "asked_everyone": everyone, "nav": "desk"},
    )


# ---------------------------------------------------------------- customer's profile


@company_view(needs=MANAGE)
def dunning_profile(request, pk):
    customer = get_object_or_404(Customer, company=request.company, pk=pk)
    form = ProfileForm(
        request.POST or None,
        company=request.company,
        initial={
            "collector": customer.collector_id or "",
            "exclusion_reason": customer.dunning_exclusion_reason,
            "excluded_until": customer.dunning_excluded_until,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            scenarios.set_dunning_profile(customer, form.cleaned_data, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Profil de relance enregistré.")
            return redirect(reverse("web:customer_detail", args=[customer.pk]) + "#dunning")
    return render(
        request,
        "encaisse/dunning/profile.html",
        {
            "form": form,
            "customer": customer,
            "scenario": scenarios.scenario_for(customer),
            "nav": "customers",
        },
        status=422 if form.errors else 200,
    )


def invoice_context(request, invoice) -> dict:
    """What the invoice page shows of the dunning: every reminder sent that claimed it,
    with its level, date, channel and the amount it claimed."""
    if not invoice.is_issued or invoice.is_credit_note:
        return {"invoice_reminders": []}
    items = (
        invoice.reminder_items.filter(reminder__status=ReminderStatus.SENT)
        .select_related("reminder")
        .order_by("-reminder__sent_on", "-reminder_id", "due_date")
    )
    return {"invoice_reminders": list(items)}
