# A stand-in for redis:7-alpine made from Debian's packages (Redis 7.0), for machines that
# reach no image registry (scripts/compose-check). Like the official image it keeps its files
# in /data and accepts connections from the other containers (protected mode off; only the
# compose network reaches it).
# Built with docker/local as the context.
ARG DEBIAN_IMAGE=autograder-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir /data
COPY redis-entrypoint.sh /usr/local/bin/redis-entrypoint
WORKDIR /data
ENTRYPOINT ["redis-entrypoint"]
CMD ["redis-server"]
