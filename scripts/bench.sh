#!/usr/bin/env bash
# Benchmarks. Usage: scripts/bench.sh <subcommand> [extra JMH arguments]
#   ring              RingThroughputBenchmark (impl = vmbus, agrona, memcpy, vmbus-xfer x payloadBytes), one JMH run:
#                     JSON in target/bench/ring.json
#   ring-interleaved  the same, as BENCH_ROUNDS (default 4) rounds of one fork per combination, every impl of a
#                     payload size back to back in each round: JSON in target/bench/ring-interleaved.json
#   e2e               vmbus bench: heartbeat round trips host -> ring -> verticle -> event bus -> handler -> ring
#                     -> host on sim and shm, next to a plain event-bus request/reply: JSON in target/bench/e2e.json
#                     (extra arguments go to vmbus bench: --seconds N --warmup N --window 1,16); the JVM runs
#                     with the agent's options (conf/jvm.options), or those of the file BENCH_JVM_OPTIONS
#   stream            issue 20's one-way transfer-page stream in one run: the ring's own JMH figure
#                     (RingThroughputBenchmark impl=vmbus-xfer at 64 and 1,500 B, once with JMH's own fork options
#                     and once with the agent's conf/jvm.options appended), then vmbus bench stream with the agent's
#                     options, every row divided by the first JMH figure (x jmh): JSON in target/bench/stream*.json
#                     (extra arguments go to vmbus bench stream: --seconds N --warmup N --ranges N --rows ...)
#   dashboard         DashboardScaleBench: the dashboard with many channels (--channels 256 --seconds 60
#                     --heartbeat-ms 2000 --update-ms 1000): event-loop lag, /api/channels latency, heartbeats
#   dashboard-shm     DashboardShmBench, issue 22's measurement: the host in this JVM over shm, the agent as a child
#                     'vmbus run' (conf/jvm.options), a stream client, /api/channels every 100 ms, the host timing
#                     heartbeat round trips; one phase per form (--channels 256 --seconds 30 --forms full,compact)
#   footprint         vmbus bench footprint: the agent's memory, threads, idle CPU and start-up next to a bare
#                     Vert.x process, both started as scripts/run.sh starts the agent (with target/vmbus.aot,
#                     made first when missing): JSON in target/bench/footprint-<transport>.json
#                     (extra arguments go to vmbus bench footprint: --seconds N --transport sim|shm ...)
#   net               vmbus bench net (root): iperf3 TCP both ways and ping p50/p99 between two network namespaces
#                     through a veth pair, through tapfwd (src/test/c/tapfwd.c, built with gcc into target/tapfwd),
#                     through jvmfwd (the same forwarder in a JVM with the agent's options) and through the
#                     synthetic NIC (vmbus host and vmbus run over shm, each with a TAP): JSON in
#                     target/bench/net.json (extra arguments go to vmbus bench net: --seconds N --pings N
#                     --interval S --links veth,tapfwd,jvmfwd,vmbus --queues N --jvm-options FILE
#                     --host-jvm-options FILE);
#                     installs iperf3, gcc, iproute2 and iputils-ping with apt-get when missing
# Maven runs online (a fresh machine downloads what it lacks); BENCH_MVN_OFFLINE=-o runs it offline.
# Extra arguments go to JMH and override the defaults, e.g.  scripts/bench.sh ring -f 1 -p payloadBytes=4096 -prof gc
# Run nothing else beside it (no build, no test run): the figures swing with the machine's load.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

. scripts/jdk25.sh
OFFLINE="${BENCH_MVN_OFFLINE-}"
. scripts/jvm-options.sh

build() {
  mkdir -p target/bench
  mvn $OFFLINE -q -B -Dstyle.color=never -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/bench/cp.txt
  CP="target/test-classes:target/classes:$(cat target/bench/cp.txt)"
}

# jmh <defaults> <args...>: runs JMH with every default option ("-opt value" pairs) the caller did not give
# (JMH refuses an option given twice), then the caller's arguments.
jmh() {
  local defaults=() pair opt
  for pair in $1; do
    opt="${pair%%=*}"
    case " ${*:2} " in *" $opt "*) ;; *) defaults+=("$opt" "${pair#*=}") ;; esac
  done
  shift
  java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$CP" \
    org.openjdk.jmh.Main 'dev\.vmbus\.bench\.RingThroughputBenchmark' "${defaults[@]}" "$@"
}

# The -rff argument among the caller's, or $1.
result_file() {
  local result="$1" prev=""
  shift
  for arg in "$@"; do
    [ "$prev" = "-rff" ] && result="$arg"
    prev="$arg"
  done
  echo "$result"
}

table() {
  java -cp "$CP" scripts/BenchTable.java "$@"
}

[ $# -ge 1 ] || usage
cmd="$1"
shift
case "$cmd" in
  stream)
    # issue 20's goals (docs/benchmarks/stream.md): the agent's stream against the ring's own JMH figure
    build
    mapfile -t JVM_OPTS < <(jvm_options conf/jvm.options)
    jmh "-f=1 -wi=3 -w=1s -i=5 -r=1s -rf=json" -p impl=vmbus-xfer -p payloadBytes=64,1500 \
      -rff target/bench/stream-jmh.json
    jmh "-f=1 -wi=3 -w=1s -i=5 -r=1s -rf=json" -p impl=vmbus-xfer -p payloadBytes=64,1500 \
      -jvmArgsAppend "${JVM_OPTS[*]}" -rff target/bench/stream-jmh-agent.json
    java "${JVM_OPTS[@]}" -cp "$CP" dev.vmbus.cli.Vmbus bench stream --payload 64,1500 \
      --jmh jmh=target/bench/stream-jmh.json --jmh jmh-agent-opts=target/bench/stream-jmh-agent.json \
      --json target/bench/stream.json "$@"
    ;;
  dashboard)
    # the dashboard with many channels (docs/benchmarks/dashboard.md)
    build
    java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$CP" \
      dev.vmbus.bench.DashboardScaleBench "$@"
    ;;
  dashboard-shm)
    build
    java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$CP" \
      dev.vmbus.bench.DashboardShmBench "$@"
    ;;
  ring)
    build
    jmh "-f=3 -wi=3 -w=1s -i=5 -r=2s -rf=json -rff=target/bench/ring.json" "$@"
    table "$(result_file target/bench/ring.json "$@")"
    ;;
  ring-interleaved)
    build
    parts=target/bench/ring-interleaved
    rm -rf "$parts"
    mkdir -p "$parts"
    impls=(vmbus agrona memcpy)
    files=()
    for round in $(seq 1 "${BENCH_ROUNDS:-4}"); do
      for size in 32 256 4096 65536; do
        for k in 0 1 2; do # the impl that goes first rotates from round to round
          impl="${impls[$(((round + k) % 3))]}"
          file="$parts/r$round-$size-$impl.json"
          echo "== round $round, payloadBytes=$size, impl=$impl"
          jmh "-f=1 -wi=3 -w=1s -i=5 -r=1s -rf=json" -p "impl=$impl" -p "payloadBytes=$size" -rff "$file" "$@" \
            > "${file%.json}.log"
          files+=("$file")
        done
      done
    done
    table --merge target/bench/ring-interleaved.json "${files[@]}"
    table --paired target/bench/ring-interleaved.json
    ;;
  e2e)
    # heartbeat round trips through the whole stack (vmbus bench), next to a plain event-bus request/reply
    mvn $OFFLINE -q -B -DskipTests -Ddeb.skip=true package
    mkdir -p target/bench
    mapfile -t JVM_OPTS < <(jvm_options "${BENCH_JVM_OPTIONS:-conf/jvm.options}")
    java "${JVM_OPTS[@]}" -jar target/vmbus.jar bench --json target/bench/e2e.json "$@"
    ;;
  footprint)
    mvn $OFFLINE -q -B -DskipTests -Ddeb.skip=true package
    mkdir -p target/bench
    if [ ! -f target/vmbus.aot ] || [ target/vmbus.jar -nt target/vmbus.aot ] || [ conf/jvm.options -nt target/vmbus.aot ]; then
      aot_cache_create target/vmbus.jar target/vmbus.aot conf/jvm.options
    fi
    transport=sim
    prev=""
    for arg in "$@"; do
      [ "$prev" = "--transport" ] && transport="$arg"
      prev="$arg"
    done
    java --enable-native-access=ALL-UNNAMED -jar target/vmbus.jar bench footprint \
      --json "target/bench/footprint-$transport.json" "$@"
    ;;
  net)
    # What it runs besides the JVM, installed as scripts/test.sh installs its own (apt-get, no stdin): iperf3,
    # gcc for tapfwd.c, ip for the namespaces and veth pair, ping.
    missing=()
    command -v iperf3 >/dev/null 2>&1 || missing+=(iperf3)
    command -v gcc >/dev/null 2>&1 || missing+=(gcc)
    command -v ip >/dev/null 2>&1 || missing+=(iproute2)
    command -v ping >/dev/null 2>&1 || missing+=(iputils-ping)
    if [ ${#missing[@]} -gt 0 ]; then
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      echo "installing: ${missing[*]}" >&2
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
    fi
    mvn $OFFLINE -q -B -DskipTests -Ddeb.skip=true package
    mkdir -p target/bench
    gcc -O2 -Wall -Wextra -o target/tapfwd src/test/c/tapfwd.c
    java --enable-native-access=ALL-UNNAMED -jar target/vmbus.jar bench net --tapfwd target/tapfwd \
      --json target/bench/net.json "$@"
    ;;
  *)
    usage
    ;;
esac
