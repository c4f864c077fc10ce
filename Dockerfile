# LoanFlow's image for compose.yaml: the web process by default; the worker and beat are the same
# image with another command. Static files are collected at build time, under production settings.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media \
    GUNICORN_BIND=0.0.0.0:8000

WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app loanflow \
    && mkdir -p /data/media && chown loanflow:loanflow /data/media
COPY . .
RUN pip install -e . \
    && SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
       python manage.py collectstatic --noinput -v0

USER loanflow
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]
