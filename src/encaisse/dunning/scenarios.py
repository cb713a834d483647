"""Dunning scenarios: the levels a company applies, per customer segment, and the
customer's dunning profile (collector, exclusion).

Every company has a default scenario, created on first use with the French defaults
(legal-fr.md): an optional courtesy reminder 5 days before the due date (disabled by
leaving it out), level 1 amicable reminder from D+1 by e-mail, level 2 formal reminder
from D+15 by letter and e-mail, level 3 formal notice from D+30 by registered letter,
level 4 pre-litigation from D+45.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction

from encaisse import clock
from encaisse.audit import services as audit
from encaisse.companies.models import Membership
from encaisse.companies.permissions import COLLECT, CREDIT_OVERRIDE, EDIT_COMPANY, require
from encaisse.customers.models import Customer, Segment
from encaisse.errors import Conflict, ValidationFailed
from encaisse.receivables.services.payments import parse_date
from encaisse.validation import clean_column

from .models import Channel, DunningLevel, DunningScenario, Template

# (rank, day offset, channel, template, needs validation)
DEFAULT_LEVELS = [
    (1, 1, Channel.EMAIL, Template.AMICABLE, False),
    (2, 15, Channel.LETTER_AND_EMAIL, Template.FORMAL, True),
    (3, 30, Channel.REGISTERED, Template.FORMAL_NOTICE, True),
    (4, 45, Channel.REGISTERED, Template.PRE_LITIGATION, True),
]
COURTESY_LEVEL = (0, -5, Channel.EMAIL, Template.COURTESY, False)
# Level templates by rank: the letter of a level says what the law lets it say.
RANK_TEMPLATES = {
    0: Template.COURTESY,
    1: Template.AMICABLE,
    2: Template.FORMAL,
    3: Template.FORMAL_NOTICE,
    4: Template.PRE_LITIGATION,
}
MAX_RANK = 4


def _create_levels(scenario, levels):
    DunningLevel.objects.bulk_create(
        DunningLevel(
            scenario=scenario,
            rank=rank,
            day_offset=offset,
            channel=channel,
            template=template,
            needs_validation=validation,
        )
        for rank, offset, channel, template, validation in levels
    )


def default_scenario(company) -> DunningScenario:
    """The company's default scenario, created with the French defaults on first use."""
    scenario = DunningScenario.objects.filter(company=company, is_default=True).first()
    if scenario is None:
        with transaction.atomic():
            scenario, created = DunningScenario.objects.get_or_create(
                company=company, is_default=True, defaults={"name": "Standard"}
            )
            if created:
                _create_levels(scenario, DEFAULT_LEVELS)
    return scenario


def scenarios_by_segment(company) -> tuple[DunningScenario, dict[str, DunningScenario]]:
    """(default scenario, {segment: scenario}) with their levels loaded."""
    default = default_scenario(company)
    scenarios = list(DunningScenario.objects.filter(company=company).prefetch_related("levels"))
    by_segment = {}
    for scenario in scenarios:
        if scenario.pk == default.pk:
            default = scenario
        for segment in scenario.segments:
            by_segment[segment] = scenario
    return default, by_segment


def scenario_for(customer: Customer) -> DunningScenario:
    default, by_segment = scenarios_by_segment(customer.company)
    return by_segment.get(customer.segment, default)


def _levels(data) -> list[tuple]:
    """Validate the levels of a scenario: ranks 1.. in order, increasing offsets, the
    courtesy reminder (rank 0) before the due date."""
    levels = []
    for position, row in enumerate(data or []):
        field = f"levels.{position}"
        rank = row.get("rank")
        if not str(rank).isdigit() or int(rank) > MAX_RANK:
            raise ValidationFailed("invalid_rank", "Niveau inconnu (0 à 4).", field)
        rank = int(rank)
        offset = str(row.get("day_offset", "")).strip()
        if not offset.lstrip("-").isdigit() or abs(int(offset)) > 999:
            raise ValidationFailed(
                "invalid_offset", f"Niveau {rank} : le délai est un nombre de jours.", field
            )
        offset = int(offset)
        if rank == 0 and offset >= 0:
            raise ValidationFailed(
                "courtesy_after_due",
                "Le rappel de courtoisie part avant l'échéance (délai négatif).",
                field,
            )
        if rank > 0 and offset < 1:
            raise ValidationFailed(
                "level_before_due",
                f"Niveau {rank} : une relance part au plus tôt le lendemain de l'échéance.",
                field,
            )
        channel = row.get("channel")
        if channel not in Channel.values:
            raise ValidationFailed("invalid_channel", f"Niveau {rank} : canal inconnu.", field)
        if rank >= 3 and channel in (Channel.EMAIL, Channel.PHONE):
            # A formal notice must be provable: a letter (registered) carries it.
            raise ValidationFailed(
                "notice_needs_letter",
                f"Niveau {rank} : une mise en demeure part par courrier (recommandé conseillé).",
                field,
            )
        needs_validation = bool(row.get("needs_validation"))
        registered = channel == Channel.REGISTERED or RANK_TEMPLATES[rank] == Template.FORMAL_NOTICE
        if registered and not needs_validation:
            # Its registered-mail number is typed when it is validated (Reminder.is_registered,
            # actions.send_reminder): the run cannot send it alone.
            raise ValidationFailed(
                "registered_needs_validation",
                f"Niveau {rank} : une lettre recommandée (une mise en demeure l'est "
                "toujours) est à valider, son numéro de recommandé saisi à l'envoi.",
                field,
            )
        levels.append((rank, offset, channel, RANK_TEMPLATES[rank], needs_validation))
    levels.sort()
    ranks = [rank for rank, *_ in levels if rank > 0]
    if ranks != list(range(1, len(ranks) + 1)) or not ranks:
        raise ValidationFailed(
            "levels_not_consecutive",
            "Les niveaux se suivent sans trou, à partir du niveau 1.",
            "levels",
        )
    offsets = [offset for rank, offset, *_ in levels if rank > 0]
    if offsets != sorted(set(offsets)):
        raise ValidationFailed(
            "offsets_not_increasing",
            "Chaque niveau part plus tard que le précédent.",
            "levels",
        )
    return levels


def _segments(company, data, scenario=None) -> list[str]:
    segments = list(dict.fromkeys(data or []))
    if any(s not in Segment.values for s in segments):
        raise ValidationFailed("invalid_segment", "Segment inconnu.", "segments")
    taken = DunningScenario.objects.filter(company=company)
    if scenario is not None:
        taken = taken.exclude(pk=scenario.pk)
    for other in taken:
        common = set(other.segments) & set(segments)
        if common:
            label = Segment(sorted(common)[0]).label
            raise ValidationFailed(
                "segment_taken",
                f"Le segment « {label} » suit déjà le scénario « {other.name} ».",
                "segments",
            )
    return segments


def _block_level(value) -> int:
    value = 3 if value in (None, "") else value
    if not str(value).isdigit() or not 1 <= int(value) <= MAX_RANK + 1:
        raise ValidationFailed(
            "invalid_block_level",
            "Le niveau de blocage va de 1 à 4 (5 : jamais).",
            "block_level",
        )
    return int(value)


def create_scenario(company, data: dict, *, by) -> DunningScenario:
    """data: name, segments, block_level, levels [{rank, day_offset, channel,
    needs_validation}]."""
    require(by, company, EDIT_COMPANY)
    default_scenario(company)
    name = clean_column(DunningScenario, "name", (data.get("name") or "").strip())
    if not name:
        raise ValidationFailed("required", "Le nom est obligatoire.", "name")
    if DunningScenario.objects.filter(company=company, name__iexact=name).exists():
        raise ValidationFailed("duplicate_name", "Un scénario porte déjà ce nom.", "name")
    levels = _levels(data.get("levels"))
    segments = _segments(company, data.get("segments"))
    block_level = _block_level(data.get("block_level"))
    with transaction.atomic():
        scenario = DunningScenario.objects.create(
            company=company, name=name, segments=segments, block_level=block_level
        )
        _create_levels(scenario, levels)
        audit.record(
            "dunning.scenario_created",
            scenario,
            by=by,
            changes={"name": name, "segments": segments, "levels": _describe(levels)},
        )
    return scenario


def update_scenario(scenario: DunningScenario, data: dict, *, by) -> DunningScenario:
    """Replace the scenario's name, segments, block level and levels. Reminders already
    sent keep the level they were sent at."""
    require(by, scenario.company, EDIT_COMPANY)
    name = clean_column(DunningScenario, "name", (data.get("name") or scenario.name).strip())
    if (
        DunningScenario.objects.filter(company=scenario.company, name__iexact=name)
        .exclude(pk=scenario.pk)
        .exists()
    ):
        raise ValidationFailed("duplicate_name", "Un scénario porte déjà ce nom.", "name")
    levels = _levels(data.get("levels"))
    segments = _segments(scenario.company, data.get("segments", scenario.segments), scenario)
    block_level = _block_level(data.get("block_level", scenario.block_level))
    with transaction.atomic():
        before = _describe(
            scenario.levels.values_list(
                "rank", "day_offset", "channel", "template", "needs_validation"
            )
        )
        scenario.name, scenario.segments, scenario.block_level = name[:100], segments, block_level
        scenario.save()
        scenario.levels.all().delete()
        _create_levels(scenario, levels)
        audit.record(
            "dunning.scenario_updated",
            scenario,
            by=by,
            changes={"segments": segments, "levels": [before, _describe(levels)]},
        )
    return scenario


def _describe(levels) -> list[str]:
    return [
        f"{rank}: J{offset:+d} {channel}{' (validation)' if validation else ''}"
        for rank, offset, channel, _template, validation in levels
    ]


def is_excluded(customer: Customer, as_of: dt.date) -> bool:
    return bool(customer.dunning_exclusion_reason) and (
        customer.dunning_excluded_until is None or customer.dunning_excluded_until >= as_of
    )


def exclusion_text(reason: str, until: dt.date | None) -> str:
    when = f"jusqu'au {until:%d/%m/%Y}" if until else "sans date de fin"
    return f"Client exclu des relances {when} : {reason}"


def set_dunning_profile(customer: Customer, data: dict, *, by) -> Customer:
    """data: collector (user id of a member, or empty), exclusion_reason, excluded_until
    (empty with a reason: until lifted). An empty reason lifts the exclusion."""
    require(by, customer.company, COLLECT)
    collector = data.get("collector") or None
    if collector is not None:
        member = Membership.objects.filter(
            company=customer.company,
            user_id=collector if str(collector).isdigit() else None,
        ).exists()
        if not member:
            raise ValidationFailed(
                "unknown_user", "Ce gestionnaire n'est pas membre de la société.", "collector"
            )
        collector = get_user_model().objects.get(pk=collector)
    reason = clean_column(
        Customer,
        "dunning_exclusion_reason",
        (data.get("exclusion_reason") or "").strip(),
        field="exclusion_reason",
    )
    until = data.get("excluded_until") or None
    if until is not None:
        until = parse_date(until, "excluded_until", "La date de fin d'exclusion")
        if not reason:
            raise ValidationFailed(
                "reason_required",
                "Indiquez le motif de l'exclusion des relances.",
                "exclusion_reason",
            )
    before = {
        "collector": str(customer.collector or ""),
        "exclusion": customer.dunning_exclusion_reason,
        "until": customer.dunning_excluded_until,
    }
    with transaction.atomic():
        customer.collector = collector
        customer.dunning_exclusion_reason = reason[:200]
        customer.dunning_excluded_until = until if reason else None
        customer.save(
            update_fields=[
                "collector",
                "dunning_exclusion_reason",
                "dunning_excluded_until",
                "updated_at",
            ]
        )
        audit.record(
            "customer.dunning_profile_changed",
            customer,
            by=by,
            changes={
                "collector": [before["collector"], str(collector or "")],
                "exclusion": [before["exclusion"], reason],
                "until": [before["until"], customer.dunning_excluded_until],
            },
        )
    return customer


def _block_scenario(customer: Customer) -> DunningScenario:
    """The customer's scenario as `scenario_for` gives it (the last one, in the scenarios'
    order, naming its segment, else the default), in one query and without its levels:
    only its block level is needed."""
    scenarios = DunningScenario.objects.filter(company_id=customer.company_id).only(
        "pk", "is_default", "segments", "block_level"
    )
    default, chosen = None, None
    for scenario in scenarios:
        if scenario.is_default:
            default = scenario
        if customer.segment in scenario.segments:
            chosen = scenario
    if default is None:  # created with its levels on first use
        return scenario_for(customer)
    return chosen or default


def check_not_blocked(customer: Customer, *, by, override_reason: str = "") -> int | None:
    """Called when an invoice is issued: a customer reminded at its scenario's block
    level or above (3, the formal notice, by default) is not invoiced further unless a
    user with the credit right overrides it with a reason. Returns the level overridden,
    None when not blocked; raises Conflict otherwise."""
    from .models import ReminderItem, ReminderStatus
    from .planning import blocking_level  # planning reads the exclusions from here

    scenario = _block_scenario(customer)
    # Never sent a level that blocks: not blocked, without the open-items query (most
    # issues; it runs under the issuing transaction's locks).
    reminded = ReminderItem.objects.filter(
        reminder__customer=customer,
        reminder__status=ReminderStatus.SENT,
        level__gte=scenario.block_level,
    )
    if not reminded.exists():
        return None
    level = blocking_level(customer, clock.today())
    if level < scenario.block_level:
        return None
    if not (override_reason or "").strip():
        raise Conflict(
            "blocked_by_dunning",
            f"{customer.legal_name} a reçu une relance de niveau {level} sur une facture "
            f"encore due : la facturation est bloquée à partir du niveau "
            f"{scenario.block_level}. Un motif de dérogation est nécessaire.",
            "override_reason",
        )
    require(by, customer.company, CREDIT_OVERRIDE)
    return level
