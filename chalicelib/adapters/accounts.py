"""Account profiles and username claims: DynamoDB, and an in-memory twin."""
from __future__ import annotations

from typing import Protocol

from chalicelib.domain.accounts import Profile, username_key
from chalicelib.domain.errors import UsernameTaken


class AccountStore(Protocol):
    def username_available(self, username: str) -> bool: ...
    def create(self, profile: Profile) -> None: ...
    def get(self, user_id: str) -> Profile | None: ...


class DynamoAccountStore:
    """Profiles in the users table; a username is claimed in the same transaction."""

    def __init__(self, connection) -> None:
        self._connection = connection  # a pynamodb Connection, for transactions

    def username_available(self, username: str) -> bool:
        from chalicelib.adapters.tables import UsernameRecord

        try:
            UsernameRecord.get(username_key(username), consistent_read=True)
        except UsernameRecord.DoesNotExist:
            return True
        return False

    def create(self, profile: Profile) -> None:
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.adapters.tables import UsernameRecord, UserRecord

        claim = UsernameRecord(username_key(profile.username), username=profile.username,
                               user_id=profile.user_id)
        user = UserRecord(profile.user_id, email=profile.email, username=profile.username,
                          display_name=profile.display_name, created_at=profile.created_at)
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(claim, condition=UsernameRecord.username_key.does_not_exist())
                transaction.save(user, condition=UserRecord.user_id.does_not_exist())
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise UsernameTaken(f"'{profile.username}' is taken.", field="username") from error
            raise

    def get(self, user_id: str) -> Profile | None:
        from chalicelib.adapters.tables import UserRecord

        try:
            record = UserRecord.get(user_id)
        except UserRecord.DoesNotExist:
            return None
        return Profile(user_id=record.user_id, email=record.email, username=record.username,
                       display_name=record.display_name, created_at=record.created_at)


class InMemoryAccountStore:
    def __init__(self) -> None:
        self.profiles: dict[str, Profile] = {}
        self.usernames: dict[str, str] = {}

    def username_available(self, username: str) -> bool:
        return username_key(username) not in self.usernames

    def create(self, profile: Profile) -> None:
        key = username_key(profile.username)
        if key in self.usernames or profile.user_id in self.profiles:
            raise UsernameTaken(f"'{profile.username}' is taken.", field="username")
        self.usernames[key] = profile.user_id
        self.profiles[profile.user_id] = profile

    def get(self, user_id: str) -> Profile | None:
        return self.profiles.get(user_id)
