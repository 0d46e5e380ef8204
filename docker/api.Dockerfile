# The API image: `autograder serve` against PostgreSQL and Redis (docker-compose.yml). It grades
# nothing and never imports torch, so it installs the `api` extra only (~300 MB, not ~6 GB).
#
# Python packages come from the wheelhouse in the build context, never from an index:
# `scripts/wheelhouse api` makes .wheelhouse/api (air-gapped builds work the same way).
# PYTHON_IMAGE chooses the base; any Debian bookworm image whose python3 is 3.11 with venv
# (scripts/compose-check builds one from Debian's packages where no registry is reachable).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python3 -m venv /opt/autograder-venv
COPY .wheelhouse/api /wheels
WORKDIR /srv/autograder
COPY pyproject.toml ./
# The dependencies go in before the source is copied (empty packages stand in for it), so a
# code change rebuilds in seconds. Editable, as in the checkout: the engine finds
# hidden_tests/ and the service its Alembic migrations next to the source.
RUN mkdir app grader && touch app/__init__.py grader/__init__.py \
    && /opt/autograder-venv/bin/pip install --no-index --find-links /wheels -e '.[api]'

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/autograder-venv/bin:$PATH
COPY --from=deps /opt/autograder-venv /opt/autograder-venv
WORKDIR /srv/autograder
COPY --from=deps /srv/autograder ./
COPY alembic.ini ./
COPY app ./app
COPY grader ./grader
COPY hidden_tests ./hidden_tests

# Not root: the API needs no privilege, and owns nothing it could rewrite (the source is root's).
RUN useradd --system --no-create-home --home-dir /nonexistent autograder
USER autograder
EXPOSE 8000
CMD ["autograder", "serve", "--host", "0.0.0.0", "--port", "8000"]
