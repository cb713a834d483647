"""Every action the services record has a French label in the audit trail."""

import re
from pathlib import Path

import encaisse
from encaisse.sales.kinds import KINDS
from encaisse.web.audit import ACTION_LABELS

# audit.record("customer.created", ...); issuing records the action of the document's
# kind, from the kinds table (sales/kinds.py).
ACTION = re.compile(r'"([a-z_]+\.[a-z_]+)"')
RECORD = re.compile(r"\brecord\(\s*([^,]+),", re.S)


def recorded_actions() -> set[str]:
    actions = set()
    for path in Path(encaisse.__file__).parent.rglob("*.py"):
        for call in RECORD.finditer(path.read_text(encoding="utf-8")):
            actions |= set(ACTION.findall(call.group(1)))
    return actions | {kind.action_issued for kind in KINDS.values()}


def test_every_recorded_action_has_a_french_label():
    actions = recorded_actions()
    assert {"invoice.issued", "credit_note.issued", "dispute.opened"} <= actions
    assert sorted(actions - ACTION_LABELS.keys()) == []
