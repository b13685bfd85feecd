#!/bin/sh
# run-zookeeper: ZooKeeper (Debian libzookeeper-java) standalone or in an ensemble, in the foreground, logging
# to stdout. Env: ZOO_CLIENT_PORT (2181), ZOO_MY_ID and ZOO_SERVERS (ensemble: "server.1=h1:
# 2888:3888 server.2=..."), ZOO_4LW (four-letter words allowed: ruok,srvr,stat,mntr,conf).
# Data: /var/lib/zookeeper. Config written to /etc/zookeeper/fate-e2e/zoo.cfg. Runs as zookeeper.
set -eu
datadir=/var/lib/zookeeper
confdir=/etc/zookeeper/fate-e2e
mkdir -p "$confdir" "$datadir"
{
    echo "tickTime=2000"
    echo "initLimit=10"
    echo "syncLimit=5"
    echo "dataDir=$datadir"
    echo "clientPort=${ZOO_CLIENT_PORT:-2181}"
    echo "4lw.commands.whitelist=${ZOO_4LW:-ruok,srvr,stat,mntr,conf}"
    echo "admin.enableServer=false"
    for server in ${ZOO_SERVERS:-}; do echo "$server"; done
} > "$confdir/zoo.cfg"
rm -f "$datadir/myid"
if [ -n "${ZOO_MY_ID:-}" ]; then echo "$ZOO_MY_ID" > "$datadir/myid"; fi
cp /etc/zookeeper/log4j.properties "$confdir/log4j.properties"
set -- java -Dzookeeper.log.dir=/var/log/zookeeper -Dzookeeper.root.logger=INFO,CONSOLE \
    -XX:+HeapDumpOnOutOfMemoryError ${JAVA_OPTS:-} \
    -cp "$confdir:/usr/share/java/zookeeper.jar" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$confdir/zoo.cfg"
if [ "$(id -u)" = 0 ]; then
    if [ "$(stat -c %U "$datadir")" != zookeeper ]; then chown -R zookeeper:zookeeper "$datadir"; fi
    mkdir -p /var/log/zookeeper && chown zookeeper:zookeeper /var/log/zookeeper
    exec setpriv --reuid=zookeeper --regid=zookeeper --init-groups "$@"
fi
exec "$@"
