"""The HTTP servers ingest runs on (granian by default, uvicorn as the alternative): thin
adapters that move bytes between the server and `ingest.app.IngestApp`."""
