"""Uploads held between a preview and its commit, so the user confirms what they saw without sending it again.

An upload is kept in the cache for an hour under an unguessable token, bound to the membership that sent it:
another user, or the same user in another organisation, gets nothing for the token. Committing takes the
bytes back and parses them again, so what is written is exactly what the preview showed (the parse is pure).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.cache import cache

from .document import MAX_FILE_BYTES, InvalidModelFile

STAGED_FOR_SECONDS = 3600


@dataclass(frozen=True)
class Staged:
    name: str
    data: bytes


def _key(membership_id: int, token: str) -> str:
    return f"interop:staged:{membership_id}:{token}"


def stage(*, membership_id: int, name: str, data: bytes) -> str:
    """Keep an upload for the preview; returns its token."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidModelFile(
            f"The file is {len(data) / 1_048_576:.1f} MB; the limit is {MAX_FILE_BYTES // 1_048_576} MB."
        )
    token = secrets.token_urlsafe(24)
    cache.set(_key(membership_id, token), (name, data), STAGED_FOR_SECONDS)
    return token


def staged(*, membership_id: int, token: str) -> Staged:
    """The upload kept under this token for this membership, or a message saying to upload it again."""
    value = cache.get(_key(membership_id, token)) if token else None
    if value is None:
        raise InvalidModelFile("This upload has expired or is not yours; upload the file again.")
    name, data = value
    return Staged(name=name, data=data)


def unstage(*, membership_id: int, token: str) -> None:
    cache.delete(_key(membership_id, token))
