"""CPU time of the PostgreSQL backend serving a connection, for the benches.

On a shared machine the wall clock counts the waits for a core; CPU time does not, so
the benches print both."""

import os
from pathlib import Path


def backend_cpu(connection=None) -> float | None:
    """CPU seconds used so far by `connection`'s PostgreSQL backend (default: Django's
    default connection), read from /proc/<pid>/stat when the server runs on this
    machine; None on another database or another machine."""
    if connection is None:
        from django.db import connection
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
