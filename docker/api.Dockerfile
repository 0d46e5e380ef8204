# The API image: `autograder serve` against PostgreSQL and Redis (docker-compose.yml).
# It grades nothing, but imports the engine's assignment loader, so it installs the package
# with its dependencies (torch from the CPU-only index: about 200 MB instead of 2 GB of CUDA).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/autograder-venv
ENV PATH=/opt/autograder-venv/bin:$PATH

WORKDIR /srv/autograder
COPY pyproject.toml alembic.ini ./
COPY app ./app
COPY grader ./grader
COPY hidden_tests ./hidden_tests
# Editable, as in the checkout: the engine finds hidden_tests/ and the service its Alembic
# migrations next to the source, not in site-packages.
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -e '.[server]'

# Not root: the API needs no privilege.
RUN useradd --system --home-dir /srv/autograder autograder
USER autograder
EXPOSE 8000
CMD ["autograder", "serve", "--host", "0.0.0.0", "--port", "8000"]
