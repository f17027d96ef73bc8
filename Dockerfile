# One image for every hitstream service; the command picks the service
# (`hitstream ingest|process|sink|dashboard`).

# The dashboard's chart library (uPlot) from npm, at build time; only its dist files are kept.
FROM node:22-slim AS web
WORKDIR /web
COPY dashboard/web/package.json dashboard/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HITSTREAM_STATE_DIR=/var/lib/hitstream \
    DASHBOARD_UPLOT_DIR=/opt/hitstream/uplot
WORKDIR /app
COPY pyproject.toml README.md ./
COPY common ./common
COPY hitstream ./hitstream
COPY ingest ./ingest
COPY processors ./processors
COPY sink ./sink
COPY schemas ./schemas
COPY dashboard ./dashboard
RUN rm -rf dashboard/web/node_modules && pip install --no-cache-dir . && mkdir -p /var/lib/hitstream
COPY --from=web /web/node_modules/uplot/dist /opt/hitstream/uplot
ENTRYPOINT ["hitstream"]
