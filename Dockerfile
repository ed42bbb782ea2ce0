# One build, three images: docker build --target bridge|emulator|connect .
# The Maven stage compiles everything once; each runtime stage takes only what it runs, as a non-root user.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY emulator/pom.xml emulator/
COPY core/pom.xml core/
COPY rest-bridge/pom.xml rest-bridge/
COPY connector/pom.xml connector/
# Dependencies first, so code changes do not download them again.
RUN mvn -B -ntp -q dependency:go-offline -DexcludeReactor=true || true
COPY . .
RUN mvn -B -ntp -q package -DskipTests

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
ENTRYPOINT ["java", "-jar", "/app/zerobus-station.jar"]

# Kafka Connect (distributed mode) from the official Apache Kafka image, with the plugin on plugin.path.
FROM apache/kafka:4.3.1 AS connect
USER root
COPY --from=build /src/connector/target/plugin/ /opt/connectors/zerobus-station-connector/
COPY config/connect-distributed.properties /opt/kafka/config/zerobus-connect.properties
# The station config the connector reads (compose mounts ./config and ./tables over these).
COPY config /app/config
COPY tables /app/tables
RUN chown -R appuser /opt/connectors
USER appuser
EXPOSE 8083
HEALTHCHECK --interval=5s --timeout=3s --retries=30 CMD wget -qO- http://127.0.0.1:8083/connectors || exit 1
ENTRYPOINT ["/opt/kafka/bin/connect-distributed.sh", "/opt/kafka/config/zerobus-connect.properties"]
