#!/bin/sh
# run-rabbitmq: RabbitMQ (Debian) in the foreground, logging to stdout.
# Env: RABBITMQ_USER, RABBITMQ_PASSWORD (required: the first boot creates this administrator),
# RABBITMQ_PORT (5672), RABBITMQ_MANAGEMENT_PORT (15672), RABBITMQ_EXTRA_CONF (a file appended
# to the generated rabbitmq.conf). Data: /var/lib/rabbitmq (mnesia). Runs as user rabbitmq.
set -eu
: "${RABBITMQ_USER:?run-rabbitmq: set RABBITMQ_USER}"
: "${RABBITMQ_PASSWORD:?run-rabbitmq: set RABBITMQ_PASSWORD}"
conf=/etc/rabbitmq/rabbitmq.conf
umask 077
{
    echo "loopback_users = none"
    echo "listeners.tcp.default = ${RABBITMQ_PORT:-5672}"
    echo "management.tcp.port = ${RABBITMQ_MANAGEMENT_PORT:-15672}"
    echo "default_user = ${RABBITMQ_USER}"
    echo "default_pass = ${RABBITMQ_PASSWORD}"
    echo "default_user_tags.administrator = true"
    echo "default_permissions.configure = .*"
    echo "default_permissions.read = .*"
    echo "default_permissions.write = .*"
    echo "log.console = true"
    echo "log.console.level = info"
    echo "log.file = false"
    if [ -n "${RABBITMQ_EXTRA_CONF:-}" ]; then cat "$RABBITMQ_EXTRA_CONF"; fi
} > "$conf"
export HOME=/var/lib/rabbitmq RABBITMQ_CONFIG_FILE="$conf"
export RABBITMQ_ENABLED_PLUGINS_FILE=/etc/rabbitmq/enabled_plugins
if [ "$(id -u)" = 0 ]; then
    chown rabbitmq:rabbitmq "$conf"
    mkdir -p /var/lib/rabbitmq /var/log/rabbitmq
    if [ "$(stat -c %U /var/lib/rabbitmq)" != rabbitmq ]; then
        chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
    fi
    chown rabbitmq:rabbitmq /var/log/rabbitmq
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
        /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
exec /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
