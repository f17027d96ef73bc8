"""Shared test helpers: real services as subprocesses, free ports, waiting."""
