"""REST route for what the site's FAQ, Terms and Privacy pages state: this deployment's rules."""
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
