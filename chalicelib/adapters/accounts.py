"""Account profiles and username claims: DynamoDB, and an in-memory twin."""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Protocol

from chalicelib.domain.accounts import Profile, UsernameHold, username_key
from chalicelib.domain.errors import UsernameTaken


HOLD = "unconfirmed"  # the sparse index's one partition: claims of sign-ups not known confirmed


class AccountStore(Protocol):
    def username_available(self, username: str) -> bool: ...
    def create(self, profile: Profile, *, held_since: int | None = None) -> None: ...
    def hold_username(self, username: str, *, user_id: str, held_since: int) -> None: ...
    def get(self, user_id: str) -> Profile | None: ...
    def get_many(self, user_ids: Iterable[str]) -> dict[str, Profile]: ...
    def owner_of_username(self, username: str) -> str | None: ...
    def change_username(self, user_id: str, old: str, new: str, *, changed_at: str | None = None) -> None: ...
    def holds_made_by(self, cutoff: int, *, limit: int) -> list[UsernameHold]: ...
    def lift_hold(self, hold: UsernameHold) -> None: ...
    def release_hold(self, hold: UsernameHold) -> bool: ...


def _profile(record) -> Profile:
    return Profile(user_id=record.user_id, email=record.email, username=record.username,
                   display_name=record.display_name, created_at=record.created_at,
                   username_changed_at=record.username_changed_at)


class DynamoAccountStore:
    """Profiles in the users table; a username is claimed in the same transaction."""

    def __init__(self, connection) -> None:
        self._connection = connection  # a pynamodb Connection, for transactions

    def username_available(self, username: str) -> bool:
        from chalicelib.adapters.tables.accounts import UsernameRecord

        try:
            UsernameRecord.get(username_key(username), consistent_read=True)
        except UsernameRecord.DoesNotExist:
            return True
        return False

    def create(self, profile: Profile, *, held_since: int | None = None) -> None:
        """The profile and its username claim, at once; `held_since` puts the claim on hold
        until the account is known to be confirmed."""
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.adapters.tables.accounts import UsernameRecord, UserRecord

        claim = UsernameRecord(username_key(profile.username), username=profile.username,
                               user_id=profile.user_id, hold=HOLD if held_since is not None else None,
                               held_since=held_since)
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

    def hold_username(self, username: str, *, user_id: str, held_since: int) -> None:
        """A claim on hold with no profile behind it (released like an unconfirmed sign-up's)."""
        from pynamodb.exceptions import PutError

        from chalicelib.adapters.tables.accounts import UsernameRecord

        claim = UsernameRecord(username_key(username), username=username, user_id=user_id, hold=HOLD,
                               held_since=held_since)
        try:
            claim.save(condition=UsernameRecord.username_key.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise UsernameTaken(f"'{username}' is taken.", field="username") from error
            raise

    def get(self, user_id: str) -> Profile | None:
        from chalicelib.adapters.tables.accounts import UserRecord

        try:
            return _profile(UserRecord.get(user_id))
        except UserRecord.DoesNotExist:
            return None

    def get_many(self, user_ids: Iterable[str]) -> dict[str, Profile]:
        """Profiles by BatchGetItem (one request for up to 100); unknown ids are left out."""
        from chalicelib.adapters.tables.accounts import UserRecord

        wanted = list(dict.fromkeys(user_ids))
        return {record.user_id: _profile(record) for record in UserRecord.batch_get(wanted)} if wanted else {}

    def holds_made_by(self, cutoff: int, *, limit: int) -> list[UsernameHold]:
        """Claims on hold since `cutoff` or earlier, oldest first: one Query of the sparse index."""
        from chalicelib.adapters.tables.accounts import UsernameRecord

        return [UsernameHold(r.username, r.user_id, int(r.held_since))
                for r in UsernameRecord.on_hold.query(HOLD, UsernameRecord.held_since <= cutoff, limit=limit)]

    def lift_hold(self, hold: UsernameHold) -> None:
        """The account is confirmed: its name is its own for good (leaves the index)."""
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.accounts import UsernameRecord

        try:
            UsernameRecord(username_key(hold.username)).update(
                actions=[UsernameRecord.hold.remove(), UsernameRecord.held_since.remove()],
                condition=(UsernameRecord.user_id == hold.user_id) & UsernameRecord.hold.exists())
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise  # otherwise lifted or released already: nothing to do

    def release_hold(self, hold: UsernameHold) -> bool:
        """Frees the name and forgets the profile of the sign-up that held it, unless the hold
        was lifted or released meanwhile (then False)."""
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.adapters.tables.accounts import UsernameRecord, UserRecord

        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.delete(UsernameRecord(username_key(hold.username)),
                                   condition=(UsernameRecord.user_id == hold.user_id)
                                   & (UsernameRecord.held_since == hold.held_since))
                transaction.delete(UserRecord(hold.user_id))
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                return False
            raise
        return True


    def owner_of_username(self, username: str) -> str | None:
        from chalicelib.adapters.tables.accounts import UsernameRecord

        try:
            return UsernameRecord.get(username_key(username)).user_id
        except UsernameRecord.DoesNotExist:
            return None

    def change_username(self, user_id: str, old: str, new: str, *, changed_at: str | None = None) -> None:
        """Claims the new name and points the profile at it; the old claim stays with the user,
        so old links redirect and nobody else can take the name. `changed_at` is remembered
        (changes are limited); the condition on the old name makes racing changes one change."""
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.adapters.tables.accounts import UsernameRecord, UserRecord

        try:
            with TransactWrite(connection=self._connection) as transaction:
                key = username_key(new)
                # a name is free, or was this user's before (old names stay claimed by their owner)
                transaction.save(UsernameRecord(key, username=new, user_id=user_id),
                                 condition=UsernameRecord.username_key.does_not_exist()
                                 | (UsernameRecord.user_id == user_id))
                transaction.update(UserRecord(user_id), actions=[UserRecord.username.set(new)] + (
                                       [UserRecord.username_changed_at.set(changed_at)] if changed_at else []),
                                   condition=UserRecord.username == old)
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise UsernameTaken(f"'{new}' is taken.", field="username") from error
            raise


class InMemoryAccountStore:
    def __init__(self) -> None:
        self.profiles: dict[str, Profile] = {}
        self.usernames: dict[str, str] = {}
        self.holds: dict[str, UsernameHold] = {}  # username key -> its hold

    def username_available(self, username: str) -> bool:
        return username_key(username) not in self.usernames

    def create(self, profile: Profile, *, held_since: int | None = None) -> None:
        key = username_key(profile.username)
        if key in self.usernames or profile.user_id in self.profiles:
            raise UsernameTaken(f"'{profile.username}' is taken.", field="username")
        self.usernames[key] = profile.user_id
        self.profiles[profile.user_id] = profile
        if held_since is not None:
            self.holds[key] = UsernameHold(profile.username, profile.user_id, held_since)

    def hold_username(self, username: str, *, user_id: str, held_since: int) -> None:
        key = username_key(username)
        if key in self.usernames:
            raise UsernameTaken(f"'{username}' is taken.", field="username")
        self.usernames[key] = user_id
        self.holds[key] = UsernameHold(username, user_id, held_since)

    def holds_made_by(self, cutoff: int, *, limit: int) -> list[UsernameHold]:
        return sorted((h for h in self.holds.values() if h.held_since <= cutoff), key=lambda h: h.held_since)[:limit]

    def lift_hold(self, hold: UsernameHold) -> None:
        if self.holds.get(username_key(hold.username), hold).user_id == hold.user_id:
            self.holds.pop(username_key(hold.username), None)

    def release_hold(self, hold: UsernameHold) -> bool:
        key = username_key(hold.username)
        if self.holds.get(key) != hold:
            return False
        del self.holds[key], self.usernames[key]
        self.profiles.pop(hold.user_id, None)
        return True

    def get(self, user_id: str) -> Profile | None:
        return self.profiles.get(user_id)

    def get_many(self, user_ids: Iterable[str]) -> dict[str, Profile]:
        return {user_id: self.profiles[user_id] for user_id in user_ids if user_id in self.profiles}

    def owner_of_username(self, username: str) -> str | None:
        return self.usernames.get(username_key(username))

    def change_username(self, user_id: str, old: str, new: str, *, changed_at: str | None = None) -> None:
        key = username_key(new)
        if self.usernames.get(key, user_id) != user_id or self.profiles[user_id].username != old:
            raise UsernameTaken(f"'{new}' is taken.", field="username")
        self.usernames[key] = user_id
        self.profiles[user_id] = replace(self.profiles[user_id], username=new,
                                         username_changed_at=changed_at or self.profiles[user_id].username_changed_at)
