#!/bin/sh
# The official image's Redis is built with protected mode off; Debian's refuses other hosts
# when it runs without a password, so turn it off here the same way.
if [ "$1" = redis-server ]; then
    shift
    set -- redis-server --protected-mode no "$@"
fi
exec "$@"
