# Créneau — slim, non-root image. Not built on the development machines (no Docker engine
# there): see docs/OPERATIONS.md.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/srv/creneau \
    HOST=0.0.0.0 \
    PORT=8000 \
    CRENEAU_DATA_DIR=/data
RUN useradd --system --uid 10001 --home /srv/creneau creneau \
    && mkdir -p /data /srv/creneau && chown creneau /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/creneau
COPY components ./components
COPY static ./static
COPY service_worker ./service_worker
COPY app ./app
USER creneau
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["creneau", "healthcheck"]
CMD ["creneau", "serve"]
