"""Registering, queueing and running jobs.

    @job("documents.render", "Génération des documents")
    def render(job, invoice_id): ...

    enqueue("documents.render", key=f"render:{invoice.pk}", company=..., invoice_id=...)

`enqueue` writes the Job row and the engine's queue row in the caller's transaction: the
work is queued if and only if the change that asks for it commits. A worker
(`encaisse worker`, django-tasks' `db_worker`) claims the queue row (SELECT ... FOR
UPDATE SKIP LOCKED on PostgreSQL, an exclusive transaction on SQLite), so two workers
never run the same execution; `execute` then refuses a job that is already finished, so
a queue row left behind by a crash does not do the work twice.

A job function receives its Job (to report progress) and its arguments. It must be
idempotent: a failure is retried with a growing delay (`BACKOFF`), up to
`Job.max_attempts`, then the job stays « En échec » with its error until someone
retries it from the jobs page.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from .models import Job, JobState

logger = logging.getLogger(__name__)

# Delay before attempt n+1 after n failures: 10 s, 1 min, 5 min, 30 min, then 2 h.
BACKOFF = [dt.timedelta(seconds=s) for s in (10, 60, 300, 1800, 7200)]

# Priority of the jobs queued now (django-tasks: -100..100, higher first, default 0).
BACKGROUND_PRIORITY = -50
_priority: ContextVar[int | None] = ContextVar("job_priority", default=None)


@contextmanager
def in_background() -> Iterator[None]:
    """Queue the jobs asked for inside the block behind everyone's: a bulk load (the
    demo's 300 renders) must not delay the render of the invoice a user issues now."""
    token = _priority.set(BACKGROUND_PRIORITY)
    try:
        yield
    finally:
        _priority.reset(token)


@dataclass(frozen=True)
class Registered:
    name: str
    label: str
    function: Callable
    max_attempts: int


_registry: dict[str, Registered] = {}


def job(name: str, label: str, *, max_attempts: int = 5):
    """Register the decorated function as the job `name` (French `label` for the pages)."""

    def register(function: Callable) -> Callable:
        _registry[name] = Registered(name, label, function, max_attempts)
        return function

    return register


def is_registered(name: str) -> bool:
    return name in _registry


def registered(name: str) -> Registered:
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"no job registered as {name!r}") from None


def enqueue(
    name: str,
    *,
    key: str | None = None,
    company=None,
    by=None,
    label: str = "",
    run_after: dt.datetime | None = None,
    **arguments,
) -> Job:
    """Queue the job `name` with `arguments` (JSON values), in the current transaction.

    With a `key`, the work is done once: if a job with that key exists (queued, running,
    done or failed), it is returned and nothing is queued."""
    spec = registered(name)
    fields = dict(
        name=name,
        label=label or spec.label,
        arguments=arguments,
        company=company,
        created_by=by,
        max_attempts=spec.max_attempts,
        run_after=run_after,
    )
    if key is not None:
        existing = Job.objects.filter(key=key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                new = Job.objects.create(key=key, **fields)
        except IntegrityError:  # another transaction created it meanwhile
            return Job.objects.get(key=key)
    else:
        new = Job.objects.create(**fields)
    _queue(new, run_after)
    return new


def retry(job_: Job) -> Job:
    """Queue a failed job again (the jobs page's « Relancer »), its attempts counted anew."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job_.pk)
        if locked.state != JobState.FAILED:
            return locked
        locked.state = JobState.QUEUED
        locked.attempts = 0
        locked.run_after = None
        locked.finished_at = None
        locked.save(update_fields=["state", "attempts", "run_after", "finished_at"])
        _queue(locked, None)
    return locked


def _queue(job_: Job, run_after: dt.datetime | None) -> None:
    options = {"run_after": run_after} if run_after else {}
    if _priority.get() is not None:
        options["priority"] = _priority.get()
    runner = execute.using(**options) if options else execute
    result = runner.enqueue(job_.pk)
    Job.objects.filter(pk=job_.pk).update(task_id=str(result.id))
    job_.task_id = str(result.id)


def progress(job_: Job, done: int, total: int | None = None) -> None:
    """Record how far `job_` is (seen by the page that polls it). Written at once, outside
    the job's own transaction when called inside one, so the bar moves while it runs."""
    job_.done = done
    if total is not None:
        job_.total = total
    fields = {"done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        fields["total"] = total
    Job.objects.filter(pk=job_.pk).update(**fields)


@task()
def execute(job_id: int) -> None:
    """The engine's one task: run the Job `job_id` once, or schedule its retry."""
    with transaction.atomic():
        job_ = Job.objects.select_for_update().filter(pk=job_id).first()
        if job_ is None or job_.state != JobState.QUEUED:
            # Finished meanwhile (a stale queue row), or running in another worker (a
            # second queue row of the same job): never do the work twice at once. A job
            # left « En cours » by a dead worker is queued again by recover_stale.
            return
        job_.state = JobState.RUNNING
        job_.attempts += 1
        job_.started_at = job_.heartbeat_at = timezone.now()
        job_.save(update_fields=["state", "attempts", "started_at", "heartbeat_at"])
    spec = registered(job_.name)
    try:
        outcome = spec.function(job_, **job_.arguments)
    except Exception as error:  # recorded on the job, retried or shown as failed
        logger.exception("job %s (%s) failed", job_.pk, job_.name)
        _failed(job_, error)
        return
    message, result = outcome if isinstance(outcome, tuple) else (outcome or "", None)
    Job.objects.filter(pk=job_.pk).update(
        state=JobState.DONE,
        message=str(message)[:500],
        result=result,
        error="",
        finished_at=timezone.now(),
        done=job_.total or job_.done,
    )


def _failed(job_: Job, error: Exception) -> None:
    text = "".join(traceback.format_exception_only(error)).strip()
    fields = {"error": text}
    if job_.attempts < job_.max_attempts:
        delay = BACKOFF[min(job_.attempts, len(BACKOFF)) - 1]
        fields.update(state=JobState.QUEUED, run_after=timezone.now() + delay)
        Job.objects.filter(pk=job_.pk).update(**fields)
        with transaction.atomic():
            _queue(job_, fields["run_after"])
    else:
        fields.update(state=JobState.FAILED, finished_at=timezone.now())
        Job.objects.filter(pk=job_.pk).update(**fields)


def recover_stale(older_than: dt.timedelta) -> int:
    """Queue again the jobs left « En cours » with no sign of life (start or progress)
    for longer than `older_than`: their worker died (killed, machine lost) mid-job. Their
    work must be idempotent (it is redone); the attempt counts, so a job that kills its
    worker every time ends « En échec »."""
    cutoff = timezone.now() - older_than
    count = 0
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    for stale in Job.objects.filter(silent, state=JobState.RUNNING):
        with transaction.atomic():
            locked = Job.objects.select_for_update().get(pk=stale.pk)
            if (
                locked.state != JobState.RUNNING
                or (locked.heartbeat_at or locked.started_at) >= cutoff
            ):
                continue
            _failed(locked, RuntimeError("le processus qui l'exécutait s'est arrêté"))
        count += 1
    return count


def run_pending_jobs(*, limit: int = 10_000) -> int:
    """Run, in this process, every queued execution that is due; return how many ran.

    The tests' worker (and `encaisse worker --once`'s): the same claim and the same
    `execute` as `encaisse worker`, without its loop and its signal handlers."""
    from django_tasks_db.models import DBTaskResult

    count = 0
    while count < limit:
        with transaction.atomic():
            row = DBTaskResult.objects.ready().get_locked()
            if row is None:
                return count
            row.claim("inline")
        _run(row)
        count += 1
    return count


def run_now(job_: Job) -> Job:
    """Run `job_` in this process unless a worker has taken it already (a command that
    starts a job and waits for it: the same job, under the same key, as the page's or
    the scheduler's); return it as it is then."""
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        row = DBTaskResult.objects.ready().filter(id=job_.task_id).get_locked()
        if row is not None:
            row.claim("inline")
    if row is not None:
        _run(row)
    job_.refresh_from_db()
    return job_


def _run(row) -> None:
    try:
        row.task.call(*row.task_result.args, **row.task_result.kwargs)
    except BaseException as error:
        row.set_failed(error)
        raise
    row.set_successful(None)
