"""API clients for the cast in tests/conftest.py: signed in by session, or carrying a personal access token."""

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from projects.models import User
from projects.services import api_token_create
from tests.conftest import Cast


def session_client(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def token_client(plaintext: str) -> APIClient:
    """No session at all: the token is the only credential."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.fixture
def token_for() -> Callable[[User], str]:
    def issue(user: User) -> str:
        return api_token_create(user=user, name="test token").plaintext

    return issue


@pytest.fixture
def owner_api(cast: Cast) -> APIClient:
    return session_client(cast.owner)


@pytest.fixture
def lead_api(cast: Cast) -> APIClient:
    return session_client(cast.security_lead)


@pytest.fixture
def engineer_api(cast: Cast) -> APIClient:
    return session_client(cast.engineer)


@pytest.fixture
def viewer_api(cast: Cast) -> APIClient:
    return session_client(cast.viewer)


@pytest.fixture
def outsider_api(cast: Cast) -> APIClient:
    return session_client(cast.outsider)


@pytest.fixture
def anonymous_api() -> APIClient:
    return APIClient()
