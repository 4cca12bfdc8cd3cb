"""interKanect: wires the REST blueprints, the WebSocket hooks and the scheduled jobs."""
from chalice import Chalice, Rate

from chalicelib.api import accounts, guard, realtime
from chalicelib.api.http import json_response

app = Chalice(app_name="interkanect")
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.register_blueprint(guard.blueprint)
app.register_blueprint(accounts.blueprint)


@app.route("/health", methods=["GET"])
def health():
    return json_response({"ok": True})


@app.on_ws_connect()
def ws_connect(event):
    return realtime.on_connect(event)


@app.on_ws_message()
def ws_message(event):
    realtime.on_message(event)


@app.on_ws_disconnect()
def ws_disconnect(event):
    realtime.on_disconnect(event)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def sweep_stale_connections(event):
    """Connections whose `$disconnect` never arrived are forgotten within five minutes."""
    realtime.sweep_connections()
