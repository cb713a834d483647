"""Background jobs: work that runs outside a web request, on the django-tasks engine.

`enqueue(name, key=..., **arguments)` records a `Job` and queues its execution in the
same transaction as the change that asks for it; `@job(name, label)` registers the
function that does it. See models.py for what a Job keeps and runner.py for how it runs.
"""
