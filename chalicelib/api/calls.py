"""REST routes of live calls: the ICE servers a browser needs for its peer connection."""
from __future__ import annotations

import time

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response
from chalicelib.domain.ice import ice_servers

blueprint = Blueprint(__name__)


@blueprint.route("/calls/ice-servers", methods=["GET"], authorizer=cognito_user)
@handles_errors
def get_ice_servers():
    settings = deps.settings()
    return json_response(ice_servers(
        stun_urls=settings.stun_urls, turn_urls=settings.turn_urls, turn_secret=deps.turn_secret(),
        user_id=principal_of(blueprint.current_request).user_id, now=int(time.time()),
        ttl_seconds=settings.turn_credential_seconds))
