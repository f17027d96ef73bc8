"""faust-streaming agents: canonical events in, enriched events out (pure rules in `rules`)."""
