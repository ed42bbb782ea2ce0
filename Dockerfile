# One build, five images: docker build --target emulator|bridge|kafka|connect .
# Every runtime image is Debian-based (eclipse-temurin:17-jre, glibc): the SDK's native library needs glibc, so
# the Connect worker is built here too, from the Apache Kafka release artifacts on Maven Central, not FROM the
# official apache/kafka image (Alpine, musl). The broker image comes from the same jars.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY emulator/pom.xml emulator/
COPY core/pom.xml core/
COPY rest-bridge/pom.xml rest-bridge/
COPY connector/pom.xml connector/
# Dependencies first, so code changes do not download them again.
RUN mvn -B -ntp -q dependency:go-offline -DexcludeReactor=true
# Only what the jars and the plugin directory are made of, so a change elsewhere (docs, scripts) reuses this layer.
COPY emulator/src emulator/src
COPY core/src core/src
COPY rest-bridge/src rest-bridge/src
COPY connector/src connector/src
COPY README.md ./
COPY docs/connector*.md docs/
COPY config config
RUN mvn -B -ntp -q package -DskipTests

# Apache Kafka (broker, tools, Connect runtime) as Maven Central publishes it; its own pom, so it is cached apart.
FROM maven:3.9-eclipse-temurin-17 AS kafka-dist
WORKDIR /dist
COPY docker/kafka/pom.xml .
RUN mvn -B -ntp -q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=/opt/kafka/libs

FROM eclipse-temurin:17-jre AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app station
WORKDIR /app

FROM runtime AS emulator
COPY --from=build /src/emulator/target/zerobus-emulator.jar /app/zerobus-emulator.jar
COPY config/emulator-tables.json /app/config/emulator-tables.json
RUN mkdir /data && chown station /data
USER station
ENV ZEROBUS_EMULATOR_HOST=0.0.0.0 ZEROBUS_EMULATOR_DATA_DIR=/data \
    ZEROBUS_EMULATOR_CONFIG=/app/config/emulator-tables.json
EXPOSE 50051 8089 8088
VOLUME /data
HEALTHCHECK --interval=5s --timeout=3s --retries=20 CMD curl -fsS http://127.0.0.1:8088/health || exit 1
ENTRYPOINT ["java", "-jar", "/app/zerobus-emulator.jar"]

FROM runtime AS bridge
COPY --from=build /src/rest-bridge/target/zerobus-station.jar /app/zerobus-station.jar
COPY config /app/config
COPY tables /app/tables
USER station
ENV ZEROBUS_BRIDGE_HOST=0.0.0.0 ZEROBUS_CONFIG=/app/config/config.local.json ZEROBUS_TABLES_DIR=/app/tables
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --retries=20 CMD curl -fsS http://127.0.0.1:8000/health || exit 1
# Listening on 0.0.0.0 here, the bridge refuses to start without bearer tokens unless ZEROBUS_BRIDGE_ALLOW_UNAUTHENTICATED
# is set by whoever publishes the port (docker-compose.yml does, publishing on 127.0.0.1 only). A process that ran out
# of memory anyway exits, so the container restarts instead of limping on.
ENTRYPOINT ["java", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/zerobus-station.jar"]

# A Kafka broker (KRaft, broker and controller in one node). Its entrypoint, /etc/kafka/docker/run, turns KAFKA_*
# variables into broker properties as the official apache/kafka image does, so it can stand in for that image
# (compose, Testcontainers' KafkaContainer).
FROM runtime AS kafka
COPY --from=kafka-dist /opt/kafka/libs /opt/kafka/libs
COPY docker/kafka/bin /opt/kafka/bin
COPY docker/kafka/config /opt/kafka/config
COPY docker/kafka/run /etc/kafka/docker/run
RUN mkdir -p /var/lib/kafka/data && chown station /var/lib/kafka/data
USER station
ENV PATH=/opt/kafka/bin:$PATH
EXPOSE 9092
HEALTHCHECK --interval=5s --timeout=15s --retries=30 \
  CMD kafka-broker-api-versions.sh --bootstrap-server localhost:9092 > /dev/null || exit 1
# A command, not an entrypoint, as in the official image: KafkaContainer runs its own start script in its place.
CMD ["/etc/kafka/docker/run"]

# Kafka Connect (distributed mode) on the same jars, with the plugin on plugin.path.
FROM kafka AS connect
USER root
COPY --from=build /src/connector/target/plugin/ /opt/connectors/zerobus-station-connector/
COPY config/connect-distributed.properties /opt/kafka/config/zerobus-connect.properties
COPY docker/register-connector docker/connect-run /opt/kafka/bin/
# The station config the connector reads (compose mounts ./config and ./tables over these).
COPY config /app/config
COPY tables /app/tables
USER station
EXPOSE 8083
HEALTHCHECK --interval=5s --timeout=3s --retries=60 CMD curl -fsS http://127.0.0.1:8083/connectors > /dev/null || exit 1
# CONNECT_* variables override worker properties (CONNECT_BOOTSTRAP_SERVERS -> bootstrap.servers).
CMD ["/opt/kafka/bin/connect-run"]
