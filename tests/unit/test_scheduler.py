"""The local scheduler reads EventBridge expressions as AWS does."""
from datetime import datetime, timezone

import app as chalice_app
from infra.local.scheduler import jobs_of, next_run

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)  # a Friday


def test_rate_expressions_fire_every_period():
    assert next_run("rate(5 minutes)", T0) == datetime(2026, 11, 20, 10, 5, tzinfo=timezone.utc)
    assert next_run("rate(1 hour)", T0) == datetime(2026, 11, 20, 11, 0, tzinfo=timezone.utc)
    assert next_run("rate(2 days)", T0) == datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


def test_cron_weekdays_count_from_sunday_as_one():
    # cron(0 2 ? * 6 *) is Fridays 02:00 UTC on EventBridge (1 = Sunday)
    assert next_run("cron(0 2 ? * 6 *)", T0) == datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
    assert next_run("cron(0 2 ? * FRI *)", T0) == datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
    assert next_run("cron(30 12 15 * ? *)", T0) == datetime(2026, 12, 15, 12, 30, tzinfo=timezone.utc)


def test_every_scheduled_handler_of_the_app_is_found():
    jobs = {job.name: job.expression for job in jobs_of(chalice_app)}
    assert jobs == {"sweep_stale_connections": "rate(1 minute)", "enforce_call_timeouts": "rate(1 minute)",
                    "run_payouts": "rate(10 minutes)", "remind_refund_deadlines": "rate(1 hour)",
                    "flag_free_session_hosts": "rate(1 hour)", "release_unconfirmed_sign_ups": "rate(1 hour)",
                    "send_review_reminders": "rate(15 minutes)", "expire_store_reservations": "rate(5 minutes)",
                    "run_booking_jobs": "rate(5 minutes)", "send_announcements": "rate(1 minute)",
                    "run_event_jobs": "rate(5 minutes)",
                    "publish_due_posts": "rate(5 minutes)"}
