"""Start scripts the native installer mounts into module containers (ours, not FATE's).

Each reads its secrets from the environment (Secret-backed), writes config under
/tmp (never into a ConfigMap), and execs the server in the foreground.
"""

from __future__ import annotations

FLOW_HOME = "/data/fate_flow"

MARIADB_START = r"""set -eu
DATA=/var/lib/mysql
mkdir -p /run/mysqld
chown mysql:mysql "$DATA" /run/mysqld
if [ ! -d "$DATA/mysql" ]; then
  echo "fate-e2e: initialising MariaDB data directory"
  mariadb-install-db --user=mysql --datadir="$DATA" --skip-test-db >/dev/null
fi
umask 077
# Idempotent: runs at every start, so a restarted pod converges to the Secret's password.
cat > /run/mysqld/init.sql <<SQL
CREATE DATABASE IF NOT EXISTS fate_flow;
CREATE USER IF NOT EXISTS 'fate'@'%' IDENTIFIED BY '${MYSQL_PASSWORD}';
CREATE USER IF NOT EXISTS 'fate'@'localhost' IDENTIFIED BY '${MYSQL_PASSWORD}';
ALTER USER 'fate'@'%' IDENTIFIED BY '${MYSQL_PASSWORD}';
ALTER USER 'fate'@'localhost' IDENTIFIED BY '${MYSQL_PASSWORD}';
GRANT ALL PRIVILEGES ON fate_flow.* TO 'fate'@'%';
GRANT ALL PRIVILEGES ON fate_flow.* TO 'fate'@'localhost';
FLUSH PRIVILEGES;
SQL
chown mysql:mysql /run/mysqld/init.sql
exec mariadbd --user=mysql --datadir="$DATA" --bind-address=0.0.0.0 --port=3306 \
  --init-file=/run/mysqld/init.sql --skip-name-resolve --character-set-server=utf8mb4 \
  --max-connections=500
"""

RABBITMQ_START = r"""set -eu
CONF=/var/lib/rabbitmq/conf
mkdir -p "$CONF" /var/lib/rabbitmq/mnesia
umask 077
cat > "$CONF/rabbitmq.conf" <<CONF
listeners.tcp.default = 5672
management.tcp.port = 15672
loopback_users = none
default_user = fate
default_pass = ${RABBITMQ_PASSWORD}
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.console = true
log.console.level = info
log.file = false
CONF
echo '[rabbitmq_management,rabbitmq_federation,rabbitmq_federation_management].' \
  > "$CONF/enabled_plugins"
export RABBITMQ_CONFIG_FILE="$CONF/rabbitmq.conf"
export RABBITMQ_ENABLED_PLUGINS_FILE="$CONF/enabled_plugins"
export RABBITMQ_MNESIA_BASE=/var/lib/rabbitmq/mnesia
export RABBITMQ_LOG_BASE=/var/lib/rabbitmq/log
exec /usr/lib/rabbitmq/bin/rabbitmq-server
"""

ZOOKEEPER_START = r"""set -eu
CONF=/var/lib/zookeeper/conf
mkdir -p "$CONF" /var/lib/zookeeper/data
cat > "$CONF/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zookeeper/data
clientPort=2181
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat
CFG
cp /etc/zookeeper/conf/log4j.properties "$CONF/" 2>/dev/null || true
cp /etc/zookeeper/conf/logback.xml "$CONF/" 2>/dev/null || true
export ZOOCFGDIR="$CONF" ZOO_LOG_DIR=/var/lib/zookeeper ZOO_LOG4J_PROP="INFO,CONSOLE"
exec zkServer.sh start-foreground "$CONF/zoo.cfg"
"""

FLOW_START = r"""set -eu
# Fill the mounted templates with this pod's address and Secret-backed passwords.
OUT=/tmp/fate-e2e-conf
mkdir -p "$OUT"
umask 077
python3 - "$FATE_E2E_CONF_DIR" "$OUT" <<'PY'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
for name in ("service_conf.yaml", "rabbitmq_route_table.yaml"):
    with open(os.path.join(src, name)) as fh:
        text = os.path.expandvars(fh.read())
    with open(os.path.join(dst, name), "w") as fh:
        fh.write(text)
PY
exec run-flow "$OUT"
"""
