"""The HTTP producer: five vendor dialects in, canonical events on the raw topic out."""
