"""Accounts: sign up, confirm, sign in and who-am-I (refreshing and signing out: services.sessions)."""
from __future__ import annotations

import time
import uuid
from typing import Any, Callable

from chalicelib.adapters.accounts import AccountStore
from chalicelib.adapters.identity import IdentityProvider
from chalicelib.adapters.mailer import Email, Mailer
from chalicelib.adapters.rate_limits import RateLimiter, enforce
from chalicelib.clock import utc_now_iso
from chalicelib.domain import accounts as rules
from chalicelib.domain.accounts import Principal, Profile, Session
from chalicelib.domain.errors import EmailTaken, NotFound, Problems, UsernameTaken
from chalicelib.observability import logger
from chalicelib.services.emails import compose
from chalicelib.settings import Settings


def sign_up(*, email: str, password: str, display_name: str, username: str,
            identity: IdentityProvider, accounts: AccountStore, mailer: Mailer, settings: Settings,
            now: Callable[[], str] = utc_now_iso, clock: Callable[[], float] = time.time,
            limiter: RateLimiter | None = None, source_ip: str | None = None) -> Profile:
    """Creates the Cognito account and claims the username, on hold until the email is confirmed
    (`release_unconfirmed`); undoes the first if the second fails. A taken username is said (names
    are public); a taken email is not: see `_sign_up_with_a_taken_email`. A valid sign-up past
    the abuse limits (per source IP, per email address an hour: `limiter`) is refused with
    RateLimited (429) before anything is created or sent."""
    brand_name = settings.brand_name
    problems = Problems()  # every invalid field at once, so the form can mark them all
    email = problems.check(lambda: rules.check_email(email))
    problems.check(lambda: rules.check_password(password))
    display_name = problems.check(lambda: rules.check_display_name(display_name, brand=brand_name))
    problems.check(lambda: rules.check_username(username, brand=brand_name))
    problems.raise_any()
    _limit_sign_ups(email, source_ip=source_ip, limiter=limiter, settings=settings, now=clock())
    if not accounts.username_available(username):
        raise UsernameTaken(f"'{username}' is taken.", field="username")
    held_since = int(clock())
    try:
        user_id = identity.sign_up(email=email, password=password, display_name=display_name)
    except EmailTaken:
        return _sign_up_with_a_taken_email(email=email, display_name=display_name, username=username,
                                           held_since=held_since, accounts=accounts, mailer=mailer,
                                           settings=settings, now=now)
    profile = Profile(user_id=user_id, email=email, username=username,
                      display_name=display_name, created_at=now())
    try:
        accounts.create(profile, held_since=held_since)
    except UsernameTaken:
        identity.delete_user(user_id=user_id)  # someone claimed the name a moment earlier
        raise
    return profile


def _limit_sign_ups(email: str, *, source_ip: str | None, limiter: RateLimiter | None, settings: Settings,
                    now: float) -> None:
    """Nobody can be email-bombed with confirmation codes (or notices), nor sign up in bulk from
    one address: sign-ups (and codes sent again) per email address an hour, sign-ups per source
    IP an hour (when the request's source IP is known)."""
    if source_ip:
        enforce(limiter, f"sign-up-ip:{source_ip}", limit=settings.sign_ups_per_ip_hour, window=3600, now=now,
                what=f"At most {settings.sign_ups_per_ip_hour} sign-ups an hour come from one network")
    _limit_codes(email, limiter=limiter, settings=settings, now=now)


def _limit_codes(email: str, *, limiter: RateLimiter | None, settings: Settings, now: float) -> None:
    enforce(limiter, f"sign-up-email:{email.lower()}", limit=settings.sign_ups_per_email_hour, window=3600,
            now=now, what=f"At most {settings.sign_ups_per_email_hour} codes an hour go to one email address")


def _sign_up_with_a_taken_email(*, email: str, display_name: str, username: str, held_since: int,
                                accounts: AccountStore, mailer: Mailer, settings: Settings,
                                now: Callable[[], str]) -> Profile:
    """Answers as a new sign-up would, so the answer never tells whether an email has an account:
    the owner of the email is told by email instead, and the username is held for the same days
    as an unconfirmed sign-up's (trying the name again tells nothing either)."""
    user_id = str(uuid.uuid4())  # the id a new account would have had; it names only the hold
    accounts.hold_username(username, user_id=user_id, held_since=held_since)
    try:
        mailer.send(taken_email_notice(email, settings=settings))
    except Exception as error:  # noqa: BLE001 - the answer must not differ when SES is down
        logger().warning("sign-up notice not sent", extra={"error": str(error)})
    return Profile(user_id=user_id, email=email, username=username, display_name=display_name,
                   created_at=now())


def taken_email_notice(email: str, *, settings: Settings) -> Email:
    """What the owner of an email reads when someone signs up with it again. No link: the
    platform never sends people to sign in from an email."""
    return compose("sign_up_with_taken_email", to=email, settings=settings)


def confirm_sign_up(*, email: str, code: str, identity: IdentityProvider, undeliverable: Any = None) -> None:
    """Confirms the account; a code that got through to the address also lifts any undeliverable
    mark on it (`undeliverable`: adapters.undeliverable.UndeliverableStore)."""
    email = rules.check_email(email)
    identity.confirm(email=email, code=code.strip())
    if undeliverable is not None:
        from chalicelib.services.ses_feedback import clear_on_confirm

        clear_on_confirm(email, store=undeliverable)


def resend_confirmation(*, email: str, identity: IdentityProvider, limiter: RateLimiter | None = None,
                        settings: Settings | None = None, clock: Callable[[], float] = time.time) -> None:
    """Sends the code again; counted with sign-ups against the email address's codes an hour."""
    email = rules.check_email(email)
    if settings is not None:
        _limit_codes(email, limiter=limiter, settings=settings, now=clock())
    identity.resend_code(email=email)


def sign_in(*, email: str, password: str, identity: IdentityProvider) -> Session:
    return identity.sign_in(email=rules.check_email(email), password=password)


def describe_me(*, principal: Principal, accounts: AccountStore, ops_group: str, username_change_days: int,
                helper_page: Callable[[str], Any] = lambda user_id: None,
                undeliverable: Callable[[str], Any] = lambda email: None) -> dict:
    """Who I am; `helper_page` finds my Helper page (None: I am not a Helper), whose picture the
    header shows; `undeliverable` finds the mark SES feedback left on my email (None: none), which
    my account page shows (`email_undeliverable`: no email reaches me)."""
    profile = accounts.get(principal.user_id)
    if profile is None:
        raise NotFound("No profile exists for this account.")
    page = helper_page(profile.user_id)
    return {
        "user_id": profile.user_id,
        "email": profile.email,
        "email_undeliverable": _undeliverable(profile.email, undeliverable),
        "username": profile.username,
        "display_name": profile.display_name,
        "created_at": profile.created_at,
        "roles": rules.roles_for(principal.groups, ops_group),
        "is_helper": page is not None,
        "avatar_url": f"/{page.avatar_key}" if page is not None and page.avatar_key else None,
        "username_change": {"every_days": username_change_days,
                            "next_at": rules.username_changeable_at(profile.username_changed_at,
                                                                    every_days=username_change_days)},
    }


def try_email_again(*, principal: Principal, accounts: AccountStore, undeliverable: Any) -> dict:
    """I fixed my mailbox (or want the emails after all): the undeliverable mark on my email is
    lifted, so email is sent to it again; if it still bounces, SES's next report marks it again."""
    profile = accounts.get(principal.user_id)
    if profile is None:
        raise NotFound("No profile exists for this account.")
    from chalicelib.services.ses_feedback import clear_on_confirm

    clear_on_confirm(profile.email, store=undeliverable)
    return {"email_undeliverable": False}


def _undeliverable(email: str, find: Callable[[str], Any]) -> bool:
    try:
        return find(email) is not None
    except Exception as error:  # noqa: BLE001 - who I am still answers; the note waits
        logger().warning("undeliverable mark not read", extra={"error": str(error)})
        return False


def release_unconfirmed(*, identity: IdentityProvider, accounts: AccountStore, now: int, days: int,
                        limit: int = 100) -> int:
    """Gives back the usernames (and emails) of sign-ups left unconfirmed `days` days: the
    Cognito account is deleted, so the email can sign up again, and the name is free. Holds of
    accounts confirmed since are lifted. Finds holds with one Query of a sparse index; returns
    how many names were released."""
    released = 0
    for hold in accounts.holds_made_by(now - days * 86400, limit=limit):
        if not rules.hold_expired(hold, now=now, days=days):
            continue
        confirmed = identity.is_confirmed(user_id=hold.user_id)
        if confirmed:
            accounts.lift_hold(hold)
            continue
        if confirmed is False:
            identity.delete_user(user_id=hold.user_id)
        released += accounts.release_hold(hold)
    if released:
        logger().info("unconfirmed sign-ups released", extra={"count": released})
    return released
