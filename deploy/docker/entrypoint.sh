#!/bin/sh
# Starts the Coordinator as the unprivileged user "app". A bind mount such as -v $(pwd)/data:/app/data arrives
# owned by the host's user (or by root, when Docker created the folder), which "app" could not write to; so when
# the container starts as root, this hands the data folder to "app" first and then drops every privilege.
# Started with --user, it runs the command as that user and changes nothing.
set -eu

if [ "$(id -u)" = 0 ]; then
  mkdir -p /app/data
  find /app/data -maxdepth 1 ! -user app -exec chown app:app {} +
  exec setpriv --reuid=app --regid=app --init-groups --inh-caps=-all --bounding-set=-all -- "$@"
fi

exec "$@"
