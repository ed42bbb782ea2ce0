#!/bin/sh
# connect-distributed.sh worker.properties: a Kafka Connect worker, logging to stdout.
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} KAFKA_LOG4J_CONFIG=${KAFKA_LOG4J_CONFIG:-/opt/kafka/config/log4j2.xml} \
  exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.connect.cli.ConnectDistributed "$@"
