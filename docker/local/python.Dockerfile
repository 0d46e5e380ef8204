# A stand-in for python:3.11-slim-bookworm made from Debian's packages, for machines that
# reach no image registry (scripts/compose-check): bookworm's python3 is 3.11.
ARG DEBIAN_IMAGE=autograder-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*
