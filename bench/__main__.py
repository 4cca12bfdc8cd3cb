"""`python -m bench`: every benchmark, one after another; fails if one misses its target."""
import sys

from bench import (bookings, call_setup, cold_start, directory_page, lighthouse, payout_run, polls, reviews_page,
                   settle_capture, signalling, store)
from bench import fanout

results = [cold_start.main(), directory_page.main(), reviews_page.main(), signalling.main(), call_setup.main(),
           settle_capture.main(), store.main(), bookings.main(), polls.main(), payout_run.main(), fanout.main(),
           lighthouse.main()]
sys.exit(max(results))
