FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MODERATION_HOST=0.0.0.0 \
    MODERATION_PORT=8080 \
    MODERATION_DATA_DIR=/var/lib/moderation \
    MODERATION_MODELS_DIR=/var/lib/moderation/models

WORKDIR /app
COPY pyproject.toml README.md ./
COPY moderation_service ./moderation_service
COPY training ./training
COPY data ./data
RUN pip install . \
    && useradd --system --home-dir /var/lib/moderation moderation \
    && mkdir -p /var/lib/moderation/models \
    && chown -R moderation /var/lib/moderation

USER moderation
VOLUME ["/var/lib/moderation"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=600s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${MODERATION_PORT:-8080}/healthz', timeout=2)"
# Trains the default model into the volume on the first start (a few minutes), then serves.
CMD ["moderation-service", "serve"]
