#!/bin/sh
# zkcli: the ZooKeeper CLI (ZooKeeperMain) with console logging at WARN.
exec java -Dzookeeper.root.logger=WARN,CONSOLE \
    -cp /etc/zookeeper:/usr/share/java/zookeeper.jar \
    org.apache.zookeeper.ZooKeeperMain "$@"
