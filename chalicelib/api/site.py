"""REST routes about the site itself: what its FAQ, Terms and Privacy pages state (this
deployment's rules) and the API's OpenAPI document (its declarations load on first use)."""
from __future__ import annotations

import time

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.http import json_response

blueprint = Blueprint(__name__)

RULES_CACHE = "public, max-age=300"  # settings change with a deployment; the next payout day daily


@blueprint.route("/site/rules", methods=["GET"])
def site_rules():
    from chalicelib.services.site_rules import site_rules as rules

    response = json_response(rules(deps.settings(), deps.payout_schedule(), int(time.time())))
    response.headers = {**response.headers, "Cache-Control": RULES_CACHE}
    return response


@blueprint.route("/openapi.json", methods=["GET"])
def openapi_document():
    from chalicelib.api.openapi import document

    return json_response(document())
