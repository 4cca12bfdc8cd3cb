"""Accounts through the REST API of the running local stack (Chalice local + moto Cognito)."""
import boto3
import pytest
import requests

from tests.support.accounts import (
    PASSWORD,
    claims_like,
    forge_token,
    new_identity,
    now,
    sign_up_and_in,
)

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
        "user_id": None, "created_at": None, "email": who["email"], "username": who["username"],
        "display_name": who["display_name"], "roles": ["customer"], "is_helper": False}


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
    user = sign_up_and_in(api, "ops")
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


def test_a_taken_username_or_email_is_refused_with_409(local_stack):
    api = local_stack["api"]
    first = new_identity()
    assert post(api, "/auth/sign-up", first).status_code == 201
    assert_error(post(api, "/auth/sign-up", new_identity() | {"username": first["username"].upper()}),
                 409, "username_taken", "username")
    assert_error(post(api, "/auth/sign-up", new_identity() | {"email": first["email"]}), 409, "email_taken")


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
    for email in (who["email"], "nobody-at-all@example.com"):
        answer = post(api, "/auth/resend-code", {"email": email})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"sent": True}
