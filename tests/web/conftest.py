import pytest
from django.test import Client


@pytest.fixture
def client_of():
    """A test client logged in as `user`."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def admin_client(client_of, admin):
    return client_of(admin)


@pytest.fixture
def live_url(db, monkeypatch):
    """A live server sharing the test's database connection, so that it sees the data of
    the test's transaction. pytest-django's live_server needs a transactional database,
    and flushing it afterwards fails on SQLite: the triggers that freeze issued invoices
    refuse the DELETE (PostgreSQL truncates)."""
    from django.db import connections
    from django.test.testcases import LiveServerThread, _StaticFilesHandler

    # The server closes its connections after each request: not this shared one, whose
    # transaction the test rolls back at the end.
    connection = connections["default"]
    monkeypatch.setattr(connection, "close", lambda: None)
    connection.inc_thread_sharing()
    server = LiveServerThread(
        "127.0.0.1", _StaticFilesHandler, connections_override={"default": connection}
    )
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://127.0.0.1:{server.port}"
    server.terminate()
    connection.dec_thread_sharing()
