"""Formal notices (mises en demeure) as the interest of a consumer needs them: which
installment a notice claimed, and the day it was sent.

A consumer owes interest at the legal rate from the formal notice on (C. civ. 1231-6,
1344-1). collection.penalties computes it but sits below dunning, so dunning registers
`formal_notices` there at start-up (apps.DunningConfig.ready).
"""

import datetime as dt

from django.db.models import F, Min, Q

from .models import ReminderItem, ReminderStatus, Template

# Level 3 is the formal notice (glossary); a letter written as a formal notice or as the
# last notice before litigation is one whatever its level in a custom scenario.
FORMAL_NOTICE_LEVEL = 3
NOTICE_TEMPLATES = (Template.FORMAL_NOTICE, Template.PRE_LITIGATION)


def formal_notices(invoice, as_of: dt.date) -> dict[int, dt.date]:
    """{installment id: the day the first formal notice claiming it was sent}, among the
    reminders sent by `as_of`. An item held in full (a dispute, a promise) was not
    claimed, so its letter was no notice to pay it."""
    rows = (
        ReminderItem.objects.filter(
            Q(level__gte=FORMAL_NOTICE_LEVEL) | Q(reminder__template__in=NOTICE_TEMPLATES),
            invoice_id=invoice.pk,
            reminder__status=ReminderStatus.SENT,
            reminder__sent_on__lte=as_of,
            open_amount__gt=F("held_amount"),
        )
        .values("installment_id")
        .annotate(first=Min("reminder__sent_on"))
        .values_list("installment_id", "first")
    )
    return dict(rows)
