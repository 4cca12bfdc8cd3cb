"""Cognito's error codes become the product's facts; anything unknown is a clear 503, not a 500."""
import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.identity import CognitoIdentity
from chalicelib.api.http import error_response
from chalicelib.domain.errors import EmailTaken, ServiceUnavailable


class FailingCognito:
    """A Cognito client whose every call fails with one error code."""

    class exceptions:  # noqa: N801 - mirrors boto3's client.exceptions
        ClientError = ClientError

    def __init__(self, code):
        self.code = code

    def __getattr__(self, operation):
        def call(**params):
            raise ClientError({"Error": {"Code": self.code, "Message": "x"}}, operation)
        return call


def identity(code):
    return CognitoIdentity(FailingCognito(code), user_pool_id="pool", client_id="client")


def test_a_known_cognito_error_becomes_its_business_fact():
    with pytest.raises(EmailTaken):
        identity("UsernameExistsException").sign_up(email="a@b.co", password="p", display_name="A")


def test_an_unknown_cognito_error_is_a_503_with_a_json_body():
    with pytest.raises(ServiceUnavailable) as error:
        identity("InternalErrorException").sign_in(email="a@b.co", password="p")
    response = error_response(error.value)
    assert response.status_code == 503
    assert response.body["error"]["code"] == "service_unavailable"


def test_resending_to_an_unknown_account_reveals_nothing():
    identity("UserNotFoundException").resend_code(email="nobody@example.com")


class RecordingCognito(FailingCognito):
    """Fails one operation with one error code, records every call."""

    def __init__(self, failing, code):
        super().__init__(code)
        self.failing, self.calls = failing, []

    def __getattr__(self, operation):
        def call(**params):
            self.calls.append(operation)
            if operation == self.failing:
                raise ClientError({"Error": {"Code": self.code, "Message": "x"}}, operation)
            return {}
        return call


def test_signing_out_everywhere_with_a_token_cognito_already_revoked_signs_out_by_user_id():
    cognito = RecordingCognito("global_sign_out", "NotAuthorizedException")
    CognitoIdentity(cognito, user_pool_id="pool", client_id="client").sign_out_everywhere(
        access_token="revoked-at-cognito", user_id="u1")
    assert cognito.calls == ["global_sign_out", "admin_user_global_sign_out"]


def test_revoking_a_refresh_token_that_already_ended_is_no_error():
    cognito = RecordingCognito("revoke_token", "UnauthorizedException")
    CognitoIdentity(cognito, user_pool_id="pool", client_id="client").revoke_refresh_token(refresh_token="old")
    assert cognito.calls == ["revoke_token"]
