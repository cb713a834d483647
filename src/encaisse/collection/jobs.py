"""The daily update of the ECB rate (`encaisse rates update`, queued by the scheduler)."""

import datetime as dt

from encaisse.errors import DomainError
from encaisse.jobs.runner import job

from .ecb import update_ecb_rates


@job("collection.update_rates", "Mise à jour du taux BCE", max_attempts=3)
def update_rates(job_, as_of):
    report = update_ecb_rates(dt.date.fromisoformat(as_of))
    if report.conflicts:
        # Nothing is overwritten: the job ends « En échec » so that someone looks.
        days = ", ".join(f"{row.valid_from:%d/%m/%Y}" for row, _ in report.conflicts)
        raise DomainError(
            "ecb_conflict",
            f"Le taux BCE de la table diffère de celui publié pour : {days} ; vérifiez-le "
            "et corrigez-le dans l'administration.",
        )
    return f"{len(report.created)} taux enregistré(s), {len(report.unchanged)} inchangé(s)."
