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
