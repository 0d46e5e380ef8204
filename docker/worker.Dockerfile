# The worker image: `autograder worker` with the whole grading environment (torch, numpy,
# torchvision, OpenCV) and bubblewrap, which runs each student file in the sandbox.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# bubblewrap: the sandbox; libgl1 and libglib2.0-0: what OpenCV loads even headless.
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap libglib2.0-0 libgl1 \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/autograder-venv
ENV PATH=/opt/autograder-venv/bin:$PATH

WORKDIR /srv/autograder
COPY pyproject.toml alembic.ini ./
COPY app ./app
COPY grader ./grader
COPY hidden_tests ./hidden_tests
COPY reference ./reference
# Editable, as in the checkout: the engine finds hidden_tests/ and the service its Alembic
# migrations next to the source, not in site-packages.
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -e '.[server]'

# The sandbox starts as root to make the job's cgroups and namespaces, then runs the
# student's code as an unprivileged uid (grader/sandbox/launcher.py); so this image runs as
# root and docker-compose.yml gives the container the privileges bubblewrap needs.
ENV AUTOGRADER_SANDBOX_DIR=/var/lib/autograder/jobs
RUN mkdir -p /var/lib/autograder/jobs
CMD ["autograder", "worker"]
