"""Pure, typed enrichment rules: each maps plain values to plain values, with no I/O but reading
its own data files once. The faust agent composes them (`processors.enrich`, `processors.state`)."""
