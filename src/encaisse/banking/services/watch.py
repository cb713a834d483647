"""Watched folders: the files an EBICS client drops in an account's folder, imported by a
periodic job (`banking.watch_folders`, every 5 minutes, see jobs/schedule.py).

Each regular file of the folder (not hidden, not in a subfolder, unchanged for
`MIN_AGE`: a file still being written waits for the next run) is imported into the
folder's account as the system (no user: the audit names none), then moved:
- to `<folder>/importes/` when imported, or found already imported (by its hash: a file
  dropped twice is recognised, the move makes the job idempotent);
- to `<folder>/refuses/` with `<name>.erreur.txt` holding the message, when refused
  (malformed, another account's, another currency...).
A file that fails for another reason (the database unavailable) stays where it is and is
tried again at the next run. Files are taken in name order (EBICS names carry the date).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from encaisse.errors import DomainError
from encaisse.jobs.runner import job

from ..models import BankAccount
from .imports import import_file

logger = logging.getLogger(__name__)

WATCH_JOB = "banking.watch_folders"
IMPORTED_DIR = "importes"
REFUSED_DIR = "refuses"
MIN_AGE = dt.timedelta(seconds=30)


@dataclass
class WatchReport:
    imported: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # failed for another reason: next run

    def text(self) -> str:
        parts = []
        if self.imported:
            parts.append(f"{len(self.imported)} fichier(s) importé(s)")
        if self.already:
            parts.append(f"{len(self.already)} déjà importé(s)")
        if self.refused:
            parts.append(f"{len(self.refused)} refusé(s) : " + ", ".join(self.refused))
        if self.left:
            parts.append(f"{len(self.left)} à reprendre : " + ", ".join(self.left))
        return " ; ".join(parts) + "." if parts else "Aucun nouveau fichier."

    def add(self, other: WatchReport) -> None:
        for name in ("imported", "already", "refused", "left"):
            getattr(self, name).extend(getattr(other, name))


def _free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/name.1`, `.2`... when a file of that name is there."""
    target = folder / name
    counter = 1
    while target.exists():
        target = folder / f"{name}.{counter}"
        counter += 1
    return target


def _move(path: Path, subfolder: str) -> Path:
    folder = path.parent / subfolder
    folder.mkdir(exist_ok=True)
    target = _free_name(folder, path.name)
    path.rename(target)
    return target


def pending_files(folder: Path, min_age: dt.timedelta = MIN_AGE) -> list[Path]:
    now = time.time()
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if now - path.stat().st_mtime < min_age.total_seconds():
            continue
        found.append(path)
    return found


def watch_account(account: BankAccount, *, min_age: dt.timedelta = MIN_AGE) -> WatchReport:
    report = WatchReport()
    folder = Path(account.watch_folder)
    if not account.watch_folder or not folder.is_dir():
        if account.watch_folder:
            logger.warning("watched folder %s of account %s is missing", folder, account.pk)
        return report
    for path in pending_files(folder, min_age):
        try:
            data = path.read_bytes()
            result = import_file(
                account.company, account, data, name=path.name, by=None, inline=True
            )
        except DomainError as error:
            target = _move(path, REFUSED_DIR)
            target.with_name(target.name + ".erreur.txt").write_text(
                error.message + "\n", encoding="utf-8"
            )
            report.refused.append(path.name)
            continue
        except Exception:  # not the file's fault: tried again at the next run
            logger.exception("import of %s failed", path)
            report.left.append(path.name)
            continue
        _move(path, IMPORTED_DIR)
        (report.already if result.already_imported else report.imported).append(path.name)
    return report


def watch_all(*, min_age: dt.timedelta = MIN_AGE) -> WatchReport:
    report = WatchReport()
    accounts = (
        BankAccount.objects.filter(active=True)
        .exclude(watch_folder="")
        .select_related("company")
        .order_by("pk")
    )
    for account in accounts:
        report.add(watch_account(account, min_age=min_age))
    return report


@job(WATCH_JOB, "Import des relevés des dossiers surveillés", max_attempts=1)
def watch_folders(job_):
    return watch_all().text()
