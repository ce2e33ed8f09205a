# syntax=docker/dockerfile:1
# One image for the four Kinerja services and the web; the command picks which one runs:
#   docker run kinerja:0.1.0                                 -> feedback (the default)
#   docker run kinerja:0.1.0 python -m services.scoring      -> scoring (likewise career, notify, web)
# Build from the repository root: docker build -t kinerja:0.1.0 .
# Python is the version `make test` runs on; bump it here when CI moves.
ARG PYTHON_VERSION=3.11

# ---------------------------------------------------------------- builder: a venv with the wheel
FROM python:${PYTHON_VERSION}-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/kinerja
WORKDIR /src
# README.md* matches nothing until the README exists; pyproject.toml keeps the COPY valid meanwhile.
COPY pyproject.toml README.md* ./
COPY shared ./shared
COPY services ./services
# tools/ for the `kinerja` admin command (replay, exports) inside a container.
COPY tools ./tools
# Every dependency ships wheels for amd64 and arm64, so no compiler is needed even here.
# dumb-init (a wheel with the static binary) runs as PID 1: it forwards SIGTERM and reaps children.
# pip compiles the byte code here, so the read-only runtime never needs to write any.
RUN /opt/kinerja/bin/pip install --prefer-binary . dumb-init==1.2.5.post1 \
    && /opt/kinerja/bin/pip uninstall --yes pip setuptools wheel

# ---------------------------------------------------------------- runtime: no build tools, not root
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="kinerja" \
      org.opencontainers.image.description="Event-driven performance management for Indonesian regional civil servants (ASN)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
# The web's printable documents: WeasyPrint lays text out with Pango, whose shared libraries it loads
# at run time (the packages its installation guide lists for Debian with wheels, and HarfBuzz's
# subsetter, which embeds only the glyphs a PDF uses), and it needs a font to draw any text. Pango
# pulls in fontconfig, which builds the font cache here: the read-only runtime could not write one.
# Libraries only, no compiler and no -dev package. Not pinned (DL3008): Debian's security updates
# replace these versions in the archive, and a pinned one would stop the image from building.
# The base image's pip and setuptools are not needed at run time.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && python -m pip uninstall --yes --no-cache-dir pip setuptools wheel \
    && groupadd --system --gid 10001 kinerja \
    && useradd --system --uid 10001 --gid kinerja --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin kinerja
COPY --from=builder /opt/kinerja /opt/kinerja
ENV PATH=/opt/kinerja/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    KINERJA_HTTP_HOST=0.0.0.0 \
    KINERJA_HTTP_PORT=8080 \
    KINERJA_WEB_HTTP_HOST=0.0.0.0 \
    KINERJA_WEB_PORT=8080
WORKDIR /tmp
# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8080
# Liveness only: a broker outage must not mark every container unhealthy. Compose and Kubernetes
# add the readiness check (/health/ready) themselves.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('KINERJA_HTTP_PORT', '8080') + '/health/live', timeout=4)"]
ENTRYPOINT ["dumb-init", "--"]
CMD ["python", "-m", "services.feedback"]
