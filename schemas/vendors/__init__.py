"""One pydantic model per vendor payload, each with `to_canonical(ctx)`."""
