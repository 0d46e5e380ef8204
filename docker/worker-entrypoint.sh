#!/bin/sh
# The worker container's entrypoint: uncover the container's /proc, then run the command
# (`autograder worker`), as `--security-opt systempaths=unconfined` would.
#
# Docker covers parts of a container's /proc (/proc/kcore and others under /dev/null, /proc/sys
# and others read-only). bubblewrap then fails twice: the kernel lets it mount the job's
# fresh /proc only where a proc mount with nothing covered is visible already
# (fs/namespace.c, mount_too_revealing: "Can't mount proc on /newroot/proc: Operation not
# permitted"), and --disable-userns writes /proc/sys/user/max_user_namespaces of the job's
# user namespace ("Read-only file system"). systempaths=unconfined cannot be given with
# Compose 1.29 (the docker CLI translates it; the daemon refuses it as it comes from Compose),
# so this root, which holds CAP_SYS_ADMIN for the jobs' tmpfs anyway, unmounts the covers.
# No job sees this /proc: the sandbox's root is a fresh tmpfs with its own /proc.
set -eu
# Mount points under /proc, deepest first (field 5 of mountinfo).
covers=$(awk '$5 ~ "^/proc/" { print $5 }' /proc/self/mountinfo | sort -r)
for path in $covers; do
    umount "$path" 2>/dev/null \
        || echo "worker-entrypoint: cannot unmount $path (no CAP_SYS_ADMIN?): the sandbox will not start" >&2
done
exec "$@"
