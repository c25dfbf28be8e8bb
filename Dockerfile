# bangfu (帮扶联系) as a container image. Built by `docker compose up -d --build` (compose.yaml),
# or alone: docker build -t bangfu .
# The install step is the README's: ./scripts/setup (a venv in ./.venv, pip install, catalogs).
FROM python:3.11-slim-bookworm

# pg_dump/pg_restore for `bangfu backup` and `bangfu restore` on PostgreSQL: Debian
# bookworm's client is 15, the server image in compose.yaml is postgres:15 (pg_dump must be
# at least as new as the server; `bangfu doctor` checks).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# bangfu runs as its own account, never as root.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/bangfu bangfu

WORKDIR /opt/bangfu
COPY pyproject.toml README.md ./
COPY scripts ./scripts
COPY bot ./bot
COPY scheduler ./scheduler
COPY locales ./locales
RUN ./scripts/setup

# data/: the SQLite database (when DATABASE_URL is not PostgreSQL), exports; backups/: BACKUP_DIR.
RUN mkdir -m 0700 data backups && chown bangfu:bangfu data backups
VOLUME ["/opt/bangfu/data", "/opt/bangfu/backups"]

USER bangfu
ENV PATH="/opt/bangfu/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/home/bangfu/.cache/matplotlib \
    BACKUP_DIR=/opt/bangfu/backups

# SIGTERM (docker stop) stops bangfu cleanly; give it 45 s (docker stop -t 45, or compose's
# stop_grace_period) to finish the messages on their way.
STOPSIGNAL SIGTERM
# Healthy: the database answers and is up to date, bangfu run holds it, Telegram answers getMe.
HEALTHCHECK --interval=60s --timeout=30s --start-period=60s --retries=3 \
    CMD ["bangfu", "doctor", "--quick"]
CMD ["bangfu", "run"]
