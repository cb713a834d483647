"""A Job: one piece of background work, its state, its progress and its errors.

The engine (django-tasks with its database backend) queues and claims executions; a Job
is what the application and its users see of them: what it does (a registered name and
its arguments, a French label), for which company and who started it, how far it is
(`done` of `total`), how many attempts it took and the last error. A job with a `key`
exists once: a second `enqueue` with the same key returns the first job instead of
doing the work again (one dunning run per company and day, one render per document).
"""

from django.conf import settings
from django.db import models


class JobState(models.TextChoices):
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminée"
    FAILED = "failed", "En échec"


class Job(models.Model):
    name = models.CharField("tâche", max_length=100)
    label = models.CharField("libellé", max_length=200)
    key = models.CharField("clé d'unicité", max_length=200, null=True, blank=True, unique=True)
    arguments = models.JSONField("paramètres", default=dict, blank=True)
    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="lancée par",
    )
    state = models.CharField(
        "état", max_length=10, choices=JobState.choices, default=JobState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    max_attempts = models.PositiveSmallIntegerField("tentatives au plus", default=5)
    done = models.PositiveIntegerField("fait", default=0)
    total = models.PositiveIntegerField("à faire", null=True, blank=True)
    message = models.CharField("résultat", max_length=500, blank=True)
    result = models.JSONField("résultat détaillé", null=True, blank=True)
    error = models.TextField("dernière erreur", blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    run_after = models.DateTimeField("pas avant", null=True, blank=True)
    started_at = models.DateTimeField("commencée le", null=True, blank=True)
    # Set when it starts and at each progress: a job « En cours » whose heartbeat is old
    # lost its worker (runner.recover_stale), however long the job itself may take.
    heartbeat_at = models.DateTimeField("dernier signe de vie", null=True, blank=True)
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)
    # The engine's id of the latest execution queued for this job (django-tasks result).
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "tâche de fond"
        verbose_name_plural = "tâches de fond"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "-created_at"]),
            models.Index(fields=["company", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.label} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def percent(self) -> int | None:
        """Progress in whole percent, None while the amount of work is unknown."""
        if not self.total:
            return 100 if self.state == JobState.DONE else None
        return min(100, self.done * 100 // self.total)

    @property
    def link(self) -> str:
        """Where the finished work can be fetched (an export's file): its result's
        `download_url` or `url`, else ""."""
        result = self.result if isinstance(self.result, dict) else {}
        return str(result.get("download_url") or result.get("url") or "")

    @property
    def link_label(self) -> str:
        result = self.result if isinstance(self.result, dict) else {}
        return str(result.get("link_label") or "Télécharger")

    @property
    def error_text(self) -> str:
        """The last error for people: a domain error's French message without the
        exception's class name the runner records with it."""
        head, sep, rest = self.error.partition(": ")
        if sep and head.replace(".", "").replace("_", "").isalnum() and " " not in head:
            return rest
        return self.error
