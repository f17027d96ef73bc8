# One image for every hitstream service; the command picks the service (`hitstream ingest|process|sink`).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HITSTREAM_STATE_DIR=/var/lib/hitstream
WORKDIR /app
COPY pyproject.toml README.md ./
COPY common ./common
COPY hitstream ./hitstream
COPY ingest ./ingest
COPY processors ./processors
COPY sink ./sink
COPY schemas ./schemas
RUN pip install --no-cache-dir . && mkdir -p /var/lib/hitstream
ENTRYPOINT ["hitstream"]
