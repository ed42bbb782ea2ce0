#!/usr/bin/env bash
# Runs one Kafka main class on the jars in /opt/kafka/libs (the release artifacts from Maven Central).
# KAFKA_HEAP_OPTS, KAFKA_OPTS and KAFKA_LOG4J_CONFIG tune it, as in Kafka's own scripts.
exec java ${KAFKA_HEAP_OPTS:--Xmx256m -XX:TieredStopAtLevel=1} ${KAFKA_OPTS:-} \
  "-Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG:-/opt/kafka/config/tools-log4j2.xml}" \
  -cp '/opt/kafka/libs/*' "$@"
