"""`python -m bench`: every benchmark, one after another; fails if one misses its target."""
import sys

from bench import cold_start, directory_page, signalling

results = [cold_start.main(), directory_page.main(), signalling.main()]
sys.exit(max(results))
