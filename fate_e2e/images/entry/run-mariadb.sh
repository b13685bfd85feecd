#!/bin/sh
# run-mariadb: MariaDB (Debian) in the foreground, logging to stderr.
# Env: MARIADB_DATABASE, MARIADB_USER, MARIADB_PASSWORD (required: database and user are
# created, and the password (re)set, at every start through an init file kept in the
# container's /run/mysqld), MARIADB_PORT (3306). root logs in through the unix socket only.
# Data: /var/lib/mysql (initialised on first start). Runs as user mysql.
set -eu
: "${MARIADB_DATABASE:?run-mariadb: set MARIADB_DATABASE}"
: "${MARIADB_USER:?run-mariadb: set MARIADB_USER}"
: "${MARIADB_PASSWORD:?run-mariadb: set MARIADB_PASSWORD}"
datadir=/var/lib/mysql
sql_string() { printf "%s" "$1" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/\\\\'/g"; }
sql_name() { printf "%s" "$1" | sed -e 's/`/``/g'; }
mkdir -p "$datadir" /run/mysqld
if [ "$(id -u)" = 0 ]; then
    chown mysql:mysql /run/mysqld
    if [ "$(stat -c %U "$datadir")" != mysql ]; then chown -R mysql:mysql "$datadir"; fi
fi
if [ ! -d "$datadir/mysql" ]; then
    mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db \
        --auth-root-authentication-method=socket > /dev/null
fi
user=$(sql_string "$MARIADB_USER")
pass=$(sql_string "$MARIADB_PASSWORD")
db=$(sql_name "$MARIADB_DATABASE")
init=/run/mysqld/fate-e2e-init.sql
umask 077
cat > "$init" <<SQL
CREATE DATABASE IF NOT EXISTS \`$db\`;
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$pass';
ALTER USER '$user'@'%' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'%';
FLUSH PRIVILEGES;
SQL
[ "$(id -u)" = 0 ] && chown mysql:mysql "$init"
exec mariadbd --user=mysql --datadir="$datadir" --bind-address=0.0.0.0 \
    --port="${MARIADB_PORT:-3306}" --skip-name-resolve --init-file="$init" "$@"
