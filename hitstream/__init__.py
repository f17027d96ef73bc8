"""hitstream: five analytics vendors' server-side dialects in, one clean ClickHouse stream out.

This package holds what every service shares: settings, Kafka plumbing, the ClickHouse client
factory, the local broker and the CLI. The services live in `ingest`, `processors` and `sink`;
the contracts that travel between them live in `schemas`.
"""

__version__ = "0.1.0"
