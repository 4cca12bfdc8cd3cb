"""`python -m bench`: every benchmark, one after another."""
import sys

from bench import cold_start

sys.exit(max(cold_start.main(), 0))
