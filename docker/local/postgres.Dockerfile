# A stand-in for postgres:16-alpine made from Debian's packages (PostgreSQL 15), for machines
# that reach no image registry (scripts/compose-check). Like the official image it creates
# POSTGRES_USER (with POSTGRES_PASSWORD) and POSTGRES_DB in an empty PGDATA on first start.
# Built with docker/local as the context.
ARG DEBIAN_IMAGE=autograder-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
# No cluster at install time: the entrypoint makes one in the volume.
RUN mkdir -p /etc/postgresql-common \
    && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql \
    && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint
ENTRYPOINT ["postgres-entrypoint"]
CMD ["postgres"]
