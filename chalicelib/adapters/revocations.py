"""Sign-outs on record (domain.sessions): DynamoDB, and an in-memory twin with the same behaviour.

One table, two kinds of item: `session#<session id>` for a signed-out session and `user#<user id>`
for the last time a person signed out everywhere. Checking a token reads both with one
BatchGetItem (strongly consistent: a sign-out holds from the next request on). DynamoDB's TTL
deletes an item once its session could no longer make tokens.
"""
from __future__ import annotations

import threading
from typing import Protocol

from chalicelib.domain.sessions import Revocations


def session_key(session_id: str) -> str:
    return f"session#{session_id}"


def user_key(user_id: str) -> str:
    return f"user#{user_id}"


class RevocationStore(Protocol):
    def revoke_session(self, *, user_id: str, session_id: str, at: int, keep_until: int) -> None: ...
    def revoke_everywhere(self, *, user_id: str, at: int, keep_until: int) -> None: ...
    def find(self, *, user_id: str, session_id: str) -> Revocations: ...


class DynamoRevocationStore:
    def revoke_session(self, *, user_id: str, session_id: str, at: int, keep_until: int) -> None:
        from chalicelib.adapters.tables.accounts import RevocationRecord

        RevocationRecord(session_key(session_id), user_id=user_id, revoked_at=at, ttl=keep_until).save()

    def revoke_everywhere(self, *, user_id: str, at: int, keep_until: int) -> None:
        """Records `at` unless a later sign-out everywhere is already on record (never moves back)."""
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.accounts import RevocationRecord as Revocation

        try:
            Revocation(user_key(user_id)).update(
                actions=[Revocation.user_id.set(user_id), Revocation.revoked_at.set(at),
                         Revocation.ttl.set(keep_until)],
                condition=Revocation.revoked_at.does_not_exist() | (Revocation.revoked_at < at))
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise

    def find(self, *, user_id: str, session_id: str) -> Revocations:
        from chalicelib.adapters.tables.accounts import RevocationRecord

        keys = [user_key(user_id)] + ([session_key(session_id)] if session_id else [])
        found = {r.revocation_id: r for r in RevocationRecord.batch_get(keys, consistent_read=True)}
        everywhere = found.get(user_key(user_id))
        return Revocations(
            session_revoked=bool(session_id) and session_key(session_id) in found,
            signed_out_everywhere_at=int(everywhere.revoked_at) if everywhere is not None else None)


class InMemoryRevocationStore:
    def __init__(self) -> None:
        self.sessions: dict[str, tuple[str, int]] = {}  # session id -> (user id, keep until)
        self.everywhere: dict[str, tuple[int, int]] = {}  # user id -> (at, keep until)
        self._lock = threading.Lock()

    def revoke_session(self, *, user_id: str, session_id: str, at: int, keep_until: int) -> None:
        with self._lock:
            self.sessions[session_id] = (user_id, keep_until)

    def revoke_everywhere(self, *, user_id: str, at: int, keep_until: int) -> None:
        with self._lock:
            current = self.everywhere.get(user_id)
            if current is None or current[0] < at:
                self.everywhere[user_id] = (at, keep_until)

    def find(self, *, user_id: str, session_id: str) -> Revocations:
        everywhere = self.everywhere.get(user_id)
        return Revocations(session_revoked=bool(session_id) and session_id in self.sessions,
                           signed_out_everywhere_at=everywhere[0] if everywhere is not None else None)
