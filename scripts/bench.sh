#!/usr/bin/env bash
# Benchmarks. Usage: scripts/bench.sh <subcommand> [extra JMH arguments]
#   ring   RingThroughputBenchmark (vmbus vs Agrona vs copy bound), JSON in target/bench/ring.json
# Extra arguments go to JMH after the defaults and override them, e.g.
#   scripts/bench.sh ring -i 10 -p payloadBytes=4096 -prof gc
# On a shared machine run it under the build lock: flock /tmp/vmbus-build.lock bash scripts/bench.sh ring
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

if [ -z "${JAVA_HOME:-}" ] || ! "${JAVA_HOME}/bin/java" -version 2>&1 | grep -q '"25'; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
export PATH="$JAVA_HOME/bin:$PATH"
OFFLINE="${BENCH_MVN_OFFLINE:--o}" # BENCH_MVN_OFFLINE= (empty) lets Maven download on a fresh machine

build() {
  mkdir -p target/bench
  mvn $OFFLINE -q -B -Dstyle.color=never -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/bench/cp.txt
  CP="target/test-classes:target/classes:$(cat target/bench/cp.txt)"
}

jmh() { # jmh <name> <benchmark regexp> [args...]
  local name="$1" regexp="$2"
  shift 2
  # JMH refuses an option given twice, so a default is only added when the caller did not give it.
  local defaults=() opt value
  for opt in "-f 3" "-wi 3" "-w 1s" "-i 5" "-r 2s" "-rf json" "-rff target/bench/$name.json"; do
    value="${opt#* }"
    opt="${opt%% *}"
    case " $* " in *" $opt "*) ;; *) defaults+=("$opt" "$value") ;; esac
  done
  java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$CP" \
    org.openjdk.jmh.Main "$regexp" "${defaults[@]}" "$@"
  local result="target/bench/$name.json" prev=""
  for opt in "$@"; do
    [ "$prev" = "-rff" ] && result="$opt"
    prev="$opt"
  done
  java -cp "$CP" scripts/BenchTable.java "$result"
}

[ $# -ge 1 ] || usage
cmd="$1"
shift
case "$cmd" in
  ring)
    build
    jmh ring 'dev\.vmbus\.bench\.RingThroughputBenchmark' "$@"
    ;;
  *)
    usage
    ;;
esac
