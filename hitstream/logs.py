"""Logging set-up shared by every service: one line per record, to stderr."""

from __future__ import annotations

import logging


def setup(level: str = "INFO", service: str = "hitstream") -> None:
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s",
    )
    for noisy in ("urllib3", "aiokafka", "faust", "mode"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
