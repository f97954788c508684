# syntax=docker/dockerfile:1
# prepbot container image. Build and run (deploy/README.md has more: compose, Kubernetes):
#
#   docker build -t prepbot .
#   docker run -d --name prepbot --env-file .env -v prepbot-data:/app/data -p 127.0.0.1:8080:8080 prepbot
#
# Other commands run the same way: `docker run --rm prepbot content stats`, `... db upgrade`.

# --- builder: a virtualenv in /opt/venv with prepbot, its dependencies and the question bank.
FROM python:3.11.14-slim-trixie AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# Dependencies first, read from pyproject.toml, so that a change to the code alone reuses this
# layer (tzdata among them: slim images carry no complete time-zone database).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install --no-cache-dir -r requirements.txt

# The wheel carries the question bank inside the package (bot/content). `content validate`
# fails the build if it does not load. The runtime needs no installer: pip and setuptools
# leave the virtualenv.
COPY README.md LICENSE ./
COPY bot ./bot
COPY content ./content
RUN pip install --no-cache-dir --no-deps . \
    && prepbot content validate \
    && pip uninstall --yes pip setuptools

# --- runtime: the slim base, the virtualenv, and a non-root user.
FROM python:3.11.14-slim-trixie

LABEL org.opencontainers.image.title="prepbot" \
      org.opencontainers.image.description="Daily interview practice for Discord and Slack" \
      org.opencontainers.image.licenses="MIT"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PREPBOT_WEB_PORT=8080 \
    PREPBOT_WEB_HOST=0.0.0.0

# A fixed numeric uid/gid, so that Kubernetes' runAsNonRoot can verify it and volume
# permissions are predictable (fsGroup 10001). /content-extra: mount your own packs there
# and set PREPBOT_CONTENT_DIRS=/content-extra.
RUN groupadd --system --gid 10001 prepbot \
    && useradd --system --uid 10001 --gid prepbot --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin prepbot \
    && mkdir -p /app/data /content-extra \
    && chown prepbot:prepbot /app/data

COPY --from=builder /opt/venv /opt/venv

# The default DATABASE_URL, sqlite+aiosqlite:///data/prepbot.db, is relative to the working
# directory: here /app/data/prepbot.db, on the volume (the value in .env.example is the
# same). PostgreSQL instead: DATABASE_URL=postgresql+asyncpg://user:password@host/db.
WORKDIR /app
VOLUME ["/app/data"]
EXPOSE 8080
USER 10001:10001

# /healthz answers 200 while the process lives. http.client from the standard library (no
# curl in the image), straight to 127.0.0.1, ignoring any HTTP(S)_PROXY of the environment.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import http.client, os; c = http.client.HTTPConnection('127.0.0.1', int(os.environ.get('PREPBOT_WEB_PORT') or 8080), timeout=4); c.request('GET', '/healthz'); raise SystemExit(c.getresponse().status != 200)"]

# SIGTERM (docker stop, Kubernetes) makes prepbot finish in-flight work and exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["prepbot"]
CMD ["run"]
