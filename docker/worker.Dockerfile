# The worker image: `autograder worker` with the whole grading environment (torch, numpy,
# torchvision, OpenCV) and bubblewrap, which runs each student file in the sandbox.
#
# Python packages come from the wheelhouse in the build context, never from an index:
# `scripts/wheelhouse worker` makes .wheelhouse/worker (air-gapped builds work the same way;
# a CPU-only torch there makes this image ~5 GB smaller: README, Deploying with Docker).
# PYTHON_IMAGE chooses the base; any Debian bookworm image whose python3 is 3.11 with venv.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# The wheels stay in this stage: the image gets the installed venv, not 3.5 GB of wheels too.
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python3 -m venv /opt/autograder-venv
COPY .wheelhouse/worker /wheels
WORKDIR /srv/autograder
COPY pyproject.toml ./
# The dependencies go in before the source is copied (empty packages stand in for it), so a
# code change rebuilds in seconds, not minutes of torch. Editable, as in the checkout: the
# engine finds hidden_tests/ and reference/ next to the source.
RUN mkdir app grader && touch app/__init__.py grader/__init__.py \
    && /opt/autograder-venv/bin/pip install --no-index --find-links /wheels -e '.[server]'

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/autograder-venv/bin:$PATH
# bubblewrap: the sandbox; libgl1 and libglib2.0-0: what OpenCV loads even headless.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        bubblewrap libglib2.0-0 libgl1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=deps /opt/autograder-venv /opt/autograder-venv
WORKDIR /srv/autograder
COPY --from=deps /srv/autograder ./
COPY alembic.ini ./
COPY app ./app
COPY grader ./grader
COPY hidden_tests ./hidden_tests
COPY reference ./reference

# The sandbox starts as root to make the job's cgroups and work dir, then runs the student's
# code as an unprivileged uid of its own (grader/sandbox/launcher.py); so this image runs as
# root and docker-compose.yml gives the container the privileges bubblewrap needs.
ENV AUTOGRADER_SANDBOX_DIR=/var/lib/autograder/jobs
RUN mkdir -p /var/lib/autograder/jobs
COPY docker/worker-entrypoint.sh /usr/local/bin/worker-entrypoint
ENTRYPOINT ["worker-entrypoint"]
CMD ["autograder", "worker"]
