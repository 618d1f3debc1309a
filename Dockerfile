# One image for web, worker and beat; docker-compose.yml gives each its command.
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONPATH=/app \
    DEBUG=false

WORKDIR /app

# The system libraries of system-packages.txt, less those only a developer's machine needs.
ARG DEVELOPMENT_ONLY_PACKAGES="chromium git make python3-venv"
COPY system-packages.txt ./
RUN packages="$(sed -e 's/#.*//' system-packages.txt | tr -s '[:space:]' '\n' \
        | grep -vxF -e '' $(printf -- ' -e %s' $DEVELOPMENT_ONLY_PACKAGES))" \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages \
    && rm -rf /var/lib/apt/lists/*

# The project's dependencies, pinned by the lock, in a layer of their own so code changes rebuild quickly.
# The project itself is not pip-installed: it runs from /app, where settings find templates/ and static/.
COPY pyproject.toml requirements.lock ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt -c requirements.lock \
    && rm /tmp/requirements.txt

RUN useradd --system --user-group --uid 10001 --home-dir /app --no-create-home threatmodel

COPY . .

# Settings demand production values when DEBUG is off; collectstatic connects to nothing, so stand-ins do.
RUN DEBUG=false SECRET_KEY=collectstatic-at-build-time-only-never-used-to-serve ALLOWED_HOSTS=build.invalid SITE_URL=https://build.invalid \
        DATABASE_URL=postgresql://build@build.invalid/build REDIS_URL=redis://build.invalid:6379/0 \
        python manage.py collectstatic --no-input --verbosity 0 \
    && chown threatmodel:threatmodel .data

USER threatmodel
EXPOSE 8000
CMD ["gunicorn", "--config", "threatmodel/gunicorn.conf.py", "threatmodel.wsgi:application"]
