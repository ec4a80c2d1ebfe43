# Aqari: one image for the web, worker, beat and migrate services (see docker-compose.yml).
# Configuration comes only from environment variables at run time; nothing secret is baked in.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=aqari.settings \
    LC_ALL=C.UTF-8 \
    LANG=C.UTF-8

WORKDIR /app

# Dependencies first, so code changes reuse this layer. Every package is pinned by hash.
COPY requirements/lock.txt requirements/lock.txt
RUN pip install --require-hashes -r requirements/lock.txt

COPY . .

# Static files are collected (hashed and compressed by whitenoise) at build time. The settings
# refuse to load without their secrets when AQARI_DEBUG is off, so the build passes throwaway
# values that exist only for this one command.
RUN SECRET_KEY=collectstatic-build-only \
    DATABASE_URL=postgresql://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput --verbosity 0

RUN useradd --system --uid 10001 --create-home --home-dir /home/aqari --shell /usr/sbin/nologin aqari \
    && mkdir -p /data/media \
    && chown -R aqari:aqari /data
ENV MEDIA_ROOT=/data/media
USER aqari

EXPOSE 8000
# gunicorn takes its worker count from WEB_CONCURRENCY.
ENV WEB_CONCURRENCY=3
CMD ["gunicorn", "aqari.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
