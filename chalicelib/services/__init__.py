"""Use cases, one module per capability; every dependency is a keyword argument."""
