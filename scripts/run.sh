#!/usr/bin/env bash
# The run command: builds target/vmbus.jar when it is missing or older than the sources, makes the AOT cache
# target/vmbus.aot when it is missing or older than the jar (a training run of a few seconds), then starts
# 'vmbus run' with the JVM options of conf/jvm.options (default: conf/vmbus.json, the simulated host
# in-process, dashboard on http://127.0.0.1:8080/).
# Extra arguments go to 'vmbus run', e.g.  bash scripts/run.sh --transport shm --shm-dir /tmp/vmbus
# VMBUS_AOT=0 starts without the AOT cache.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk25.sh
. scripts/jvm-options.sh
if [ ! -f target/vmbus.jar ] || [ -n "$(find src webroot pom.xml conf/jvm.options -newer target/vmbus.jar -print -quit)" ]; then
  MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" mvn -q -B -ntp -DskipTests -Ddeb.skip=true package
fi
mapfile -t JVM_OPTS < <(jvm_options conf/jvm.options)
AOT=()
if [ "${VMBUS_AOT:-1}" != 0 ]; then
  if [ ! -f target/vmbus.aot ] || [ target/vmbus.jar -nt target/vmbus.aot ] || [ conf/jvm.options -nt target/vmbus.aot ]; then
    echo "run.sh: creating the AOT cache target/vmbus.aot (one training run)" >&2
    aot_cache_create target/vmbus.jar target/vmbus.aot conf/jvm.options || true
  fi
  # A stale or unreadable cache is ignored by the JVM (AOTMode=auto); a missing one is not passed at all.
  # Without its adapters, as the package's launcher (JDK-8364929: two share a hash, a warning at every start).
  [ -f target/vmbus.aot ] && AOT=(-XX:AOTCache=target/vmbus.aot -XX:+UnlockDiagnosticVMOptions -XX:-AOTAdapterCaching)
fi
# The jar by its absolute path: the AOT cache records the class path that way.
exec java "${JVM_OPTS[@]}" "${AOT[@]}" -jar "$PWD/target/vmbus.jar" run "$@"
