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
