"""Accounts through the REST API of the running local stack (Chalice local + moto Cognito)."""
import time
import uuid
from datetime import datetime

import boto3
import pytest
import requests

from tests.support.accounts import (
    CODE,
    PASSWORD,
    SignedIn,
    claims_like,
    forge_token,
    new_identity,
    now,
    sign_in,
    sign_up_and_confirm,
    sign_up_and_in,
)
from tests.support.mailbox import emails_to
from tests.support.pages import become_helper, page_fields

pytestmark = pytest.mark.integration


def post(api, path, body=None, **kwargs):
    return requests.post(f"{api}{path}", json=body, timeout=30, **kwargs)


def assert_error(answer, status, code, field=None):
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert error["field"] == field


def test_a_new_user_signs_up_confirms_signs_in_and_sees_themselves(local_stack):
    api = local_stack["api"]
    who = new_identity("ada")
    answer = post(api, "/auth/sign-up", who)
    assert answer.status_code == 201, answer.text
    assert answer.json()["username"] == who["username"] and answer.json()["confirmation_required"]
    assert_error(post(api, "/auth/sign-in", {"email": who["email"], "password": PASSWORD}),
                 403, "account_not_confirmed")
    assert post(api, "/auth/confirm", {"email": who["email"], "code": "123456"}).status_code == 200
    tokens = post(api, "/auth/sign-in", {"email": who["email"].upper(), "password": PASSWORD}).json()
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    me = requests.get(f"{api}/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=30)
    assert me.status_code == 200
    assert me.json() | {"user_id": None, "created_at": None} == {
        "user_id": None, "created_at": None, "email": who["email"], "email_undeliverable": False,
        "username": who["username"], "display_name": who["display_name"], "roles": ["customer"], "is_helper": False,
        "avatar_url": None,
        "username_change": {"every_days": 30, "next_at": None}}


def test_refresh_gives_a_new_access_token_and_sign_out_ends_the_session(local_stack):
    api = local_stack["api"]
    user = sign_up_and_in(api)
    refreshed = post(api, "/auth/refresh", {"refresh_token": user.tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    fresh = refreshed.json()["access_token"]
    assert requests.get(f"{api}/me", headers={"Authorization": f"Bearer {fresh}"}, timeout=30).status_code == 200
    assert post(api, "/auth/sign-out", headers=user.auth).status_code == 200
    assert_error(post(api, "/auth/refresh", {"refresh_token": user.tokens["refresh_token"]}),
                 401, "invalid_token")


def test_the_ops_group_gives_the_ops_role(local_stack):
    api = local_stack["api"]
    user = sign_up_and_in(api, "opsgroup")  # "ops" alone would pass for staff
    cognito = boto3.client("cognito-idp", endpoint_url=local_stack["aws"], region_name=local_stack["region"],
                           aws_access_key_id="local", aws_secret_access_key="local")
    me = requests.get(f"{api}/me", headers=user.auth, timeout=30).json()
    cognito.admin_add_user_to_group(UserPoolId=local_stack["user_pool_id"], Username=me["user_id"],
                                    GroupName="ops")
    tokens = post(api, "/auth/sign-in", {"email": user.email, "password": PASSWORD}).json()
    me = requests.get(f"{api}/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=30)
    assert me.json()["roles"] == ["customer", "ops"]


@pytest.mark.parametrize("change, code, field", [
    ({"email": "not-an-email"}, "invalid_input", "email"),
    ({"password": "weak"}, "weak_password", "password"),
    ({"password": "alllowercase-but-long"}, "weak_password", "password"),
    ({"username": "no spaces"}, "invalid_input", "username"),
    ({"username": "Admin"}, "username_reserved", "username"),
    ({"display_name": "   "}, "invalid_input", "display_name"),
])
def test_bad_sign_up_details_get_a_clear_4xx_and_create_nothing(local_stack, change, code, field):
    who = new_identity() | change
    answer = post(local_stack["api"], "/auth/sign-up", who)
    assert_error(answer, 409 if code == "username_reserved" else 400, code, field)
    # nothing was created: the same email can still sign up with good details
    good = new_identity() | {"email": who["email"]} if "email" not in change else new_identity()
    assert post(local_stack["api"], "/auth/sign-up", good).status_code == 201


def test_a_taken_username_is_refused_with_409_even_before_it_is_confirmed(local_stack):
    api = local_stack["api"]
    first = new_identity()
    assert post(api, "/auth/sign-up", first).status_code == 201
    assert_error(post(api, "/auth/sign-up", new_identity() | {"username": first["username"].upper()}),
                 409, "username_taken", "username")


def shape(answer):
    """What a caller can tell from an answer, but for the values that are new each time."""
    body = answer.json()
    return (answer.status_code, answer.headers["Content-Type"], sorted(body),
            {k: type(v).__name__ for k, v in body.items()}, body.get("confirmation_required"))


def test_signing_up_with_a_registered_email_answers_exactly_like_a_new_sign_up(local_stack):
    api, aws = local_stack["api"], local_stack["aws"]
    confirmed = sign_up_and_in(api)
    pending = new_identity()
    assert post(api, "/auth/sign-up", pending).status_code == 201
    fresh = post(api, "/auth/sign-up", new_identity())
    for email in (confirmed.email, pending["email"]):
        again = post(api, "/auth/sign-up", new_identity() | {"email": email})
        assert shape(again) == shape(fresh) == (201, "application/json", sorted(
            ["user_id", "email", "username", "confirmation_required"]),
            {"user_id": "str", "email": "str", "username": "str", "confirmation_required": "bool"}, True)
        assert again.json()["email"] == email
        [notice] = [m for m in emails_to(aws, email) if "tried to sign up" in m["subject"]]
        for part in (notice["text"], notice["html"]):  # no link to sign in at, in either part
            assert "already has an account" in part and "http" not in part
    # the registered account is untouched: its password still signs it in
    assert post(api, "/auth/sign-in", {"email": confirmed.email, "password": PASSWORD}).status_code == 200


def test_a_registered_email_holds_the_username_it_was_tried_with_like_a_new_sign_up(local_stack):
    """Else trying that username again would tell whether the email had an account."""
    api = local_stack["api"]
    owner = sign_up_and_in(api)
    tried = new_identity() | {"email": owner.email}
    assert post(api, "/auth/sign-up", tried).status_code == 201
    assert_error(post(api, "/auth/sign-up", new_identity() | {"username": tried["username"]}),
                 409, "username_taken", "username")


def test_confirming_says_the_same_for_an_unknown_email_and_a_confirmed_one(local_stack):
    api = local_stack["api"]
    confirmed = sign_up_and_in(api)
    answers = [post(api, "/auth/confirm", {"email": email, "code": CODE})
               for email in (confirmed.email, f"nobody-{uuid.uuid4().hex[:8]}@example.com")]
    for answer in answers:
        assert_error(answer, 400, "invalid_confirmation_code")
    assert answers[0].json() == answers[1].json()


@pytest.mark.parametrize("raw", [b"", b"{nope", b"[]", b'"text"', b'{"email": 5}',
                                 b'{"email":"a@b.co","password":"x","display_name":"A","username":"abc","role":"ops"}'])
def test_malformed_bodies_get_400_json(local_stack, raw):
    answer = requests.post(f"{local_stack['api']}/auth/sign-up", data=raw, timeout=30,
                           headers={"Content-Type": "application/json"})
    assert_error(answer, 400, "invalid_input")


def test_a_wrong_password_or_unknown_email_is_one_answer(local_stack):
    api = local_stack["api"]
    user = sign_up_and_in(api)
    assert_error(post(api, "/auth/sign-in", {"email": user.email, "password": "Wrong-passw0rd"}),
                 401, "wrong_credentials")
    assert_error(post(api, "/auth/sign-in", {"email": "nobody-x@example.com", "password": PASSWORD}),
                 401, "wrong_credentials")


def test_me_refuses_missing_expired_forged_and_misused_tokens(local_stack):
    api = local_stack["api"]
    user = sign_up_and_in(api)
    claims = claims_like(user.access_token)
    id_token_claims = claims_like(user.tokens["id_token"])
    bad_tokens = {
        "garbage": "not.a.token",
        "expired": forge_token(claims | {"iat": now() - 7200, "exp": now() - 60}),
        "stranger's key": forge_token(claims, with_moto_key=False),
        "other issuer": forge_token(claims | {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_evil"}),
        "other client": forge_token(claims | {"client_id": "someone-else"}),
        "id token": forge_token(id_token_claims),
        "tampered": user.access_token[:-4] + ("AAAA" if not user.access_token.endswith("AAAA") else "BBBB"),
    }
    for name, token in bad_tokens.items():
        answer = requests.get(f"{api}/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert answer.status_code == 401, (name, answer.text)
        assert answer.json()["error"]["code"] == "invalid_token", name
    assert_error(requests.get(f"{api}/me", timeout=30), 401, "invalid_token")
    # the same forged claims signed with moto's key pass: the checks above are what refused them
    assert requests.get(f"{api}/me", headers={"Authorization": f"Bearer {forge_token(claims)}"},
                        timeout=30).status_code == 200


def test_unknown_routes_are_404_json_and_wrong_methods_4xx(local_stack):
    api = local_stack["api"]
    assert_error(requests.get(f"{api}/nope", timeout=30), 404, "not_found")
    assert_error(requests.get(f"{api}/nope", headers={"Authorization": "Bearer x"}, timeout=30), 404, "not_found")
    assert 400 <= requests.delete(f"{api}/me", timeout=30).status_code < 500


def test_resending_the_code_says_sent_whether_or_not_the_account_exists(local_stack):
    api = local_stack["api"]
    who = new_identity()
    assert post(api, "/auth/sign-up", who).status_code == 201
    confirmed = sign_up_and_in(api)
    for email in (who["email"], "nobody-at-all@example.com", confirmed.email):
        answer = post(api, "/auth/resend-code", {"email": email})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"sent": True}


@pytest.mark.parametrize("username", ["admin1", "ops-team", "0ps", "interkanect-support", "paypal-support",
                                      "noreply", "Inter_Kanect", "5upport-desk"])
def test_usernames_that_pass_for_staff_or_the_brand_are_refused_at_sign_up_and_rename(local_stack, username):
    api = local_stack["api"]
    assert_error(post(api, "/auth/sign-up", new_identity() | {"username": username}), 409, "username_reserved",
                 "username")
    person = sign_up_and_in(api)
    renamed = requests.put(f"{api}/me/username", json={"username": username}, headers=person.auth, timeout=30)
    assert_error(renamed, 409, "username_reserved", "username")


def test_a_display_name_passing_for_staff_is_refused(local_stack):
    answer = post(local_stack["api"], "/auth/sign-up", new_identity() | {"display_name": "interKanect Support"})
    assert_error(answer, 400, "invalid_input", "display_name")


def test_bidi_overrides_never_reach_the_public_page(local_stack):
    api, site = local_stack["api"], local_stack["site"]
    who = new_identity() | {"display_name": "Support \u202eecilA\u202c"}
    sign_up_and_confirm(api, who)
    person = sign_in(api, SignedIn(who["email"], who["username"], who["display_name"], PASSWORD, {}))
    me = requests.get(f"{api}/me", headers=person.auth, timeout=30).json()
    assert me["display_name"] == "Support ecilA"
    fields = page_fields(headline="Plumber \u2067lanoisseforp\u2069", offer="I fix \u200bleaks\u202e.",
                         links=[{"label": "\u202eetis yM", "url": "https://example.com"}])
    page = requests.put(f"{api}/me/page", json=fields, headers=person.auth, timeout=30)
    assert page.status_code == 201, page.text
    assert (page.json()["headline"], page.json()["offer"], page.json()["links"][0]["label"]) == (
        "Plumber lanoisseforp", "I fix leaks.", "etis yM")
    html = requests.get(f"{site}/h/{who['username']}", timeout=30).text
    assert "Support ecilA" in html and not any(c in html for c in "\u202e\u202c\u2067\u2069\u200b")


def test_a_username_changes_once_per_30_days_and_me_says_when_next(local_stack):
    api, site = local_stack["api"], local_stack["site"]
    helper = become_helper(api)
    me = requests.get(f"{api}/me", headers=helper.auth, timeout=30).json()
    assert me["username_change"] == {"every_days": 30, "next_at": None}
    first = f"renamed_{uuid.uuid4().hex[:8]}"
    assert requests.put(f"{api}/me/username", json={"username": first}, headers=helper.auth,
                        timeout=30).status_code == 200
    second = requests.put(f"{api}/me/username", json={"username": f"again_{uuid.uuid4().hex[:8]}"},
                          headers=helper.auth, timeout=30)
    assert_error(second, 409, "username_change_too_soon", "username")
    assert "30 days" in second.json()["error"]["message"]
    next_at = requests.get(f"{api}/me", headers=helper.auth, timeout=30).json()["username_change"]["next_at"]
    assert 30 * 86400 - 120 < datetime.fromisoformat(next_at).timestamp() - time.time() <= 30 * 86400
    assert requests.get(f"{site}/h/{first}", timeout=30).status_code == 200  # the refused change moved nothing


def test_a_sign_up_left_unconfirmed_for_seven_days_gives_back_its_username_and_email(local_stack, app_env):
    """The scheduled job, run against the stack: a week-old unconfirmed sign-up (made in this process
    with its clock set back) is deleted from Cognito and its name freed; a confirmed one keeps its name."""
    from chalicelib.api.accounts import release_unconfirmed_sign_ups
    from chalicelib.services import accounts

    api = local_stack["api"]
    week_ago = time.time() - 8 * 86400
    stale, kept = new_identity("stale"), new_identity("kept")
    for who in (stale, kept):
        accounts.sign_up(**who, identity=app_env.identity(), accounts=app_env.account_store(),
                         mailer=app_env.mailer(), settings=app_env.settings(), clock=lambda: week_ago)
    assert post(api, "/auth/confirm", {"email": kept["email"], "code": CODE}).status_code == 200
    assert_error(post(api, "/auth/sign-up", new_identity() | {"username": stale["username"]}), 409, "username_taken")

    assert release_unconfirmed_sign_ups() >= 1

    # the same email and username sign up again, for real: the old Cognito account is gone
    sign_up_and_confirm(api, stale)
    assert post(api, "/auth/sign-in", {"email": stale["email"], "password": PASSWORD}).status_code == 200
    assert_error(post(api, "/auth/sign-up", new_identity() | {"username": kept["username"]}), 409, "username_taken")
    assert post(api, "/auth/sign-in", {"email": kept["email"], "password": PASSWORD}).status_code == 200
