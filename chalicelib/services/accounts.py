"""Accounts: sign up, confirm, sign in and who-am-I (refreshing and signing out: services.sessions)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from chalicelib.adapters.accounts import AccountStore
from chalicelib.adapters.identity import IdentityProvider
from chalicelib.domain import accounts as rules
from chalicelib.domain.accounts import Principal, Profile, Session
from chalicelib.domain.errors import NotFound, UsernameTaken


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def sign_up(*, email: str, password: str, display_name: str, username: str,
            identity: IdentityProvider, accounts: AccountStore,
            now: Callable[[], str] = utc_now_iso) -> Profile:
    """Creates the Cognito account and claims the username; undoes the first if the second fails."""
    email = rules.check_email(email)
    rules.check_password(password)
    display_name = rules.check_display_name(display_name)
    rules.check_username(username)
    if not accounts.username_available(username):
        raise UsernameTaken(f"'{username}' is taken.", field="username")
    user_id = identity.sign_up(email=email, password=password, display_name=display_name)
    profile = Profile(user_id=user_id, email=email, username=username,
                      display_name=display_name, created_at=now())
    try:
        accounts.create(profile)
    except UsernameTaken:
        identity.delete_user(user_id=user_id)  # someone claimed the name a moment earlier
        raise
    return profile


def confirm_sign_up(*, email: str, code: str, identity: IdentityProvider) -> None:
    identity.confirm(email=rules.check_email(email), code=code.strip())


def resend_confirmation(*, email: str, identity: IdentityProvider) -> None:
    identity.resend_code(email=rules.check_email(email))


def sign_in(*, email: str, password: str, identity: IdentityProvider) -> Session:
    return identity.sign_in(email=rules.check_email(email), password=password)


def describe_me(*, principal: Principal, accounts: AccountStore, ops_group: str,
                is_helper: Callable[[str], bool] = lambda user_id: False) -> dict:
    profile = accounts.get(principal.user_id)
    if profile is None:
        raise NotFound("No profile exists for this account.")
    return {
        "user_id": profile.user_id,
        "email": profile.email,
        "username": profile.username,
        "display_name": profile.display_name,
        "created_at": profile.created_at,
        "roles": rules.roles_for(principal.groups, ops_group),
        "is_helper": is_helper(profile.user_id),
    }
