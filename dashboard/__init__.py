"""The dashboard: periods, filters and the query layer behind its pages and JSON API (issue 16)."""
