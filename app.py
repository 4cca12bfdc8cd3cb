"""interKanect: wires the REST blueprints, the WebSocket hooks and the scheduled jobs."""
from chalice import Chalice, Rate

from chalicelib.api import (
    accounts,
    bookings,
    calls,
    directory,
    earnings,
    events,
    follows,
    guard,
    helper_pages,
    notices,
    ops,
    ops_console,
    payments,
    posts,
    push,
    reports,
    reviews,
    site,
    store,
)
from chalicelib.api.http import in_the_error_shape, json_response

app = Chalice(app_name="interkanect")
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.register_blueprint(guard.blueprint)
app.register_blueprint(accounts.blueprint)
app.register_blueprint(helper_pages.blueprint)
app.register_blueprint(directory.blueprint)
app.register_blueprint(calls.blueprint)
app.register_blueprint(payments.blueprint)
app.register_blueprint(earnings.blueprint)
app.register_blueprint(reviews.blueprint)
app.register_blueprint(reports.blueprint)
app.register_blueprint(ops.blueprint)
app.register_blueprint(ops_console.blueprint)
app.register_blueprint(store.blueprint)
app.register_blueprint(bookings.blueprint)
app.register_blueprint(events.blueprint)
app.register_blueprint(follows.blueprint)
app.register_blueprint(posts.blueprint)
app.register_blueprint(push.blueprint)
app.register_blueprint(notices.blueprint)
app.register_blueprint(site.blueprint)


@app.middleware("http")
def errors_in_one_shape(event, get_response):
    return in_the_error_shape(get_response(event))


@app.route("/health", methods=["GET"])
def health():
    return json_response({"ok": True})


def _realtime():
    """The sockets' and sweeps' module, imported on first use: a cold start of the REST API
    does not load it (the call, payment and ops rules it brings are ~15 ms)."""
    from chalicelib.api import realtime

    return realtime


@app.on_ws_connect()
def ws_connect(event):
    return _realtime().on_connect(event)


@app.on_ws_message()
def ws_message(event):
    _realtime().on_message(event)


@app.on_ws_disconnect()
def ws_disconnect(event):
    _realtime().on_disconnect(event)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def sweep_stale_connections(event):
    """Connections silent for 3 minutes (a killed browser, a lost `$disconnect`) are forgotten,
    and their owners' status follows."""
    _realtime().sweep_connections()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def enforce_call_timeouts(event):
    """Missed calls, closed negotiation windows, expired sessions and abandoned calls happen on
    time even when nobody acts; every action also applies the clock first."""
    _realtime().sweep_calls()


@app.schedule(Rate(10, unit=Rate.MINUTES))
def run_payouts(event):
    """Releases earnings whose refund window has closed, runs the payout of the latest payout
    day (weekly on Friday by default, paid by 7 PM Pacific: the job decides, EventBridge only
    wakes it) and follows PayPal's outcome of every open run. Safe to stop and run again."""
    earnings.payout_job()


@app.schedule(Rate(1, unit=Rate.HOURS))
def remind_refund_deadlines(event):
    """Ops is emailed once per open refund review due within 48 hours (or overdue)."""
    ops.remind_refund_deadlines()


@app.schedule(Rate(1, unit=Rate.HOURS))
def flag_free_session_hosts(event):
    """Helpers hosting 25 or more free sessions in a (Pacific, ISO) week are flagged for ops, once a week."""
    ops.flag_free_session_hosts()


@app.schedule(Rate(15, unit=Rate.MINUTES))
def send_review_reminders(event):
    """Callers who have not rated a session a day after it (a setting) are asked once, by email."""
    reviews.send_review_reminders()


@app.schedule(Rate(5, unit=Rate.MINUTES))
def expire_store_reservations(event):
    """Stock held for a checkout nobody paid (30 minutes, a setting) goes back on sale; the
    unpaid payment is voided first, so approving it at PayPal afterwards charges nothing."""
    store.expire_reservations()


@app.schedule(Rate(5, unit=Rate.MINUTES))
def run_event_jobs(event):
    """Events whose time has come: the reminders 24 hours and 1 hour before (each claimed once),
    and paid places held for payment that ran out (their payment voided, the waitlist moved up)."""
    events.run_event_jobs()


@app.schedule(Rate(5, unit=Rate.MINUTES))
def run_booking_jobs(event):
    """Bookings whose time has come: an unpaid hold let go after 15 minutes (its payment voided
    first), the reminders 24 hours and 1 hour before (each once), a session closed after it."""
    bookings.run_booking_jobs()


@app.schedule(Rate(5, unit=Rate.MINUTES))
def publish_due_posts(event):
    """Scheduled blog posts whose time has come go out (each once; visitors already see one from
    its time), and the Helper's followers hear of each the first time it is published."""
    posts.publish_due_posts()


@app.schedule(Rate(1, unit=Rate.HOURS))
def release_unconfirmed_sign_ups(event):
    """Sign-ups left unconfirmed for 7 days (a setting) give back their username and their email:
    the Cognito account is deleted, so the email can sign up again."""
    accounts.release_unconfirmed_sign_ups()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def send_announcements(event):
    """Followers hear of a Helper's new post or event (and, after each week, get its digest):
    batches at SES's sending rate for at most 50 seconds a run, resumed by the next run, each
    follower claimed before their email goes so nobody gets one twice."""
    follows.send_announcements()


# The topic SES publishes bounces and complaints to (the configuration set's event destination on
# AWS, infra/cdk/stack.py, which points this subscription at the stack's own topic; the sender
# identity's notifications on the local stack, infra/local/ses_feedback.py).
SES_FEEDBACK_TOPIC = "interkanect-ses-feedback"


@app.on_sns_message(topic=SES_FEEDBACK_TOPIC)
def ses_feedback(event):
    """A permanent bounce or a complaint marks its addresses undeliverable: no email goes to them
    again until their owner confirms the address again (services.ses_feedback)."""
    import time

    from chalicelib import deps
    from chalicelib.services.ses_feedback import record_feedback

    record_feedback(event.message, store=deps.undeliverable(), now=int(time.time()))
