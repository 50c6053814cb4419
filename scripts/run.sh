#!/usr/bin/env bash
# The run command: builds target/vmbus.jar when it is missing or older than the sources, then starts
# 'vmbus run' (default: conf/vmbus.json, the simulated host in-process, dashboard on http://127.0.0.1:8080/).
# Extra arguments go to 'vmbus run', e.g.  bash scripts/run.sh --transport shm --shm-dir /tmp/vmbus
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${JAVA_HOME:-}" ] || ! "${JAVA_HOME}/bin/java" -version 2>&1 | grep -q '"25'; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
export PATH="$JAVA_HOME/bin:$PATH"
if [ ! -f target/vmbus.jar ] || [ -n "$(find src webroot pom.xml -newer target/vmbus.jar -print -quit)" ]; then
  MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" mvn -q -B -ntp -DskipTests package
fi
exec java --enable-native-access=ALL-UNNAMED -jar target/vmbus.jar run "$@"
