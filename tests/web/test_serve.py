"""`encaisse serve`: gunicorn, the worker and the scheduler started together, on a fresh
SQLite database, and all stopped by one Ctrl-C."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ENCAISSE = [sys.executable, "-m", "encaisse.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """The processes below `pid` (from /proc: the children, their children...)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what}: not after {timeout} s")


def login_page(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200 and b"Se connecter" in response.read()
    except OSError:
        return False


def jobs_done(db):
    with sqlite3.connect(db) as con:
        return con.execute("select count(*) from jobs_job where state = 'done'").fetchone()[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_serve_answers_runs_jobs_and_stops_everything_on_ctrl_c(tmp_path):
    db = tmp_path / "encaisse.sqlite3"
    env = {
        **os.environ,
        "ENCAISSE_DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{db}",
        "ENCAISSE_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    subprocess.run([*ENCAISSE, "migrate", "-v0"], env=env, check=True, cwd=tmp_path)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        [*ENCAISSE, "serve", f"127.0.0.1:{port}", "--web-workers", "1"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: login_page(f"http://127.0.0.1:{port}/login/"), 90, "login page")
        children = descendants(serve.pid)
        assert len(children) >= 4  # gunicorn, its worker, the jobs worker, the scheduler
        # The scheduler queued the minute's jobs and the worker ran them.
        wait_for(lambda: jobs_done(db), 30, "a periodic job done by the worker")
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=40) == 0
        wait_for(lambda: not any(alive(pid) for pid in children), 10, "children stopped")
    finally:
        if serve.poll() is None:
            serve.kill()
        for pid in descendants(serve.pid):
            os.kill(pid, signal.SIGKILL)
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert f"encaisse sert http://127.0.0.1:{port}/" in output
