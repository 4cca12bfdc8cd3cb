"""Every error the API answers has the one shape `{"error": {"code", "message", "field"?}}`, also
the ones Chalice makes itself around a route (found by the API fuzz: a body sent as text/plain
was answered `{"Code": "UnsupportedMediaType", ...}`)."""
from __future__ import annotations

from chalice import Response
from chalice.test import Client

from chalicelib.api.http import in_the_error_shape


def test_a_body_that_is_not_json_is_refused_in_the_error_shape():
    from app import app

    with Client(app) as client:
        answer = client.http.post("/auth/sign-in", body="email=ada", headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415
    assert answer.json_body == {"error": {"code": "unsupported_media_type",
                                          "message": "Unsupported media type: text/plain"}}


def test_chalices_answer_to_a_bug_keeps_its_500_in_the_error_shape():
    chalice_answer = Response({"Code": "InternalServerError", "Message": "An internal server error occurred."},
                              status_code=500, headers={"Content-Type": "application/json"})
    answer = in_the_error_shape(chalice_answer)
    assert answer.status_code == 500
    assert answer.body == {"error": {"code": "internal_error", "message": "An internal server error occurred."}}


def test_the_apps_own_answers_pass_unchanged():
    ours = Response({"error": {"code": "not_found", "message": "No such payment."}}, status_code=404)
    assert in_the_error_shape(ours) is ours
    fine = Response({"Code": "x", "Message": "a body that happens to look alike"}, status_code=200)
    assert in_the_error_shape(fine) is fine
