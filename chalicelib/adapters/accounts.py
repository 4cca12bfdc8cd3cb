"""Account profiles and username claims: DynamoDB, and an in-memory twin."""
from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from chalicelib.domain.accounts import Profile, username_key
from chalicelib.domain.errors import UsernameTaken


class AccountStore(Protocol):
    def username_available(self, username: str) -> bool: ...
    def create(self, profile: Profile) -> None: ...
    def get(self, user_id: str) -> Profile | None: ...
    def owner_of_username(self, username: str) -> str | None: ...
    def change_username(self, user_id: str, old: str, new: str) -> None: ...


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


    def owner_of_username(self, username: str) -> str | None:
        from chalicelib.adapters.tables import UsernameRecord

        try:
            return UsernameRecord.get(username_key(username)).user_id
        except UsernameRecord.DoesNotExist:
            return None

    def change_username(self, user_id: str, old: str, new: str) -> None:
        """Claims the new name and points the profile at it; the old claim stays with the user,
        so old links redirect and nobody else can take the name."""
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.adapters.tables import UsernameRecord, UserRecord

        try:
            with TransactWrite(connection=self._connection) as transaction:
                key = username_key(new)
                # a name is free, or was this user's before (old names stay claimed by their owner)
                transaction.save(UsernameRecord(key, username=new, user_id=user_id),
                                 condition=UsernameRecord.username_key.does_not_exist()
                                 | (UsernameRecord.user_id == user_id))
                transaction.update(UserRecord(user_id), actions=[UserRecord.username.set(new)],
                                   condition=UserRecord.username == old)
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise UsernameTaken(f"'{new}' is taken.", field="username") from error
            raise


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

    def owner_of_username(self, username: str) -> str | None:
        return self.usernames.get(username_key(username))

    def change_username(self, user_id: str, old: str, new: str) -> None:
        key = username_key(new)
        if self.usernames.get(key, user_id) != user_id or self.profiles[user_id].username != old:
            raise UsernameTaken(f"'{new}' is taken.", field="username")
        self.usernames[key] = user_id
        self.profiles[user_id] = replace(self.profiles[user_id], username=new)
