#!/usr/bin/env bash
# The idle agent's CPU, measured from outside: `vmbus host` and the guest `vmbus run --transport shm
# --no-dashboard` as two processes with the JVM options of conf/jvm.options (the host sends its usual heartbeat
# every 2 s and time sample every 5 s), then utime+stime of the guest from /proc/PID/stat over SECONDS after WARMUP
# seconds, and each of its threads' CPU time and number of times it ran (/proc/PID/task/TID/schedstat), which
# shows what wakes up, with their sum (nanoseconds, finer than the 10 ms ticks of /proc/PID/stat) and the
# collections that fell in the window (the guest logs them with -Xlog:gc to a file); also the start-up (until the agent logs "ready:") and the CPU spent by then and by the end
# of the warm-up, so that an option that trades start-up for idle CPU shows it. docs/benchmarks/footprint.md ("Idle CPU") has the figures; run it under the build lock so that no
# build disturbs it:
#   flock -o /tmp/mvn.lock bash scripts/idle-cpu.sh [--warmup 30] [--seconds 30] [--jar target/vmbus.jar] [--jvm-options FILE] [JVM OPTION...]
# Extra JVM options go to the guest only, after those of the options file (both processes use that file).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk25.sh
java=$JAVA_HOME/bin/java
warmup=30 seconds=30 jar=target/vmbus.jar options=conf/jvm.options
while [ $# -gt 0 ]; do
  case $1 in
    --warmup) warmup=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    --jvm-options) options=$2; shift 2 ;;
    *) break ;;
  esac
done
[ -f "$jar" ] || { echo "idle-cpu: $jar is missing (mvn -o -q package -DskipTests -Ddeb.skip=true)" >&2; exit 1; }
jar=$(realpath "$jar")
. scripts/jvm-options.sh
mapfile -t opts < <(jvm_options "$options")
work=$(mktemp -d)
host_pid="" guest_pid=""
cleanup() {
  for p in $guest_pid $host_pid; do
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
cp conf/vmbus.json "$work/vmbus.json"
(cd "$work" && exec "$java" "${opts[@]}" -jar "$jar" host --conf vmbus.json --shm-dir shm >host.log 2>&1) &
host_pid=$!
for _ in $(seq 1 200); do grep -q "serving shm" "$work/host.log" 2>/dev/null && break; sleep 0.1; done
(cd "$work" && exec "$java" "${opts[@]}" "$@" -Xlog:gc:file=gc.log:uptime -jar "$jar" run --conf vmbus.json --transport shm --shm-dir shm \
  --no-dashboard >guest.log 2>&1) &
guest_pid=$!
started=$(date +%s%N)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# start-up: until the agent logs "ready:" (every enabled channel open), and the CPU it took to get there
for _ in $(seq 1 $((warmup * 20))); do grep -q '] ready:' "$work/guest.log" 2>/dev/null && break; sleep 0.05; done
ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))
ready_cpu=$(( $(ticks "$guest_pid" 2>/dev/null || echo 0) * 1000 / hz ))
sleep "$(awk -v w="$warmup" -v r="$ready_ms" 'BEGIN { s = w - r / 1000; print (s > 0 ? s : 0) }')"
kill -0 "$guest_pid" 2>/dev/null || { echo "idle-cpu: the guest ended:" >&2; tail -20 "$work/guest.log" >&2; exit 1; }
echo "guest: ready after ${ready_ms} ms (${ready_cpu} ms of CPU); $(( $(ticks "$guest_pid") * 1000 / hz )) ms of CPU by the end of the ${warmup} s warm-up"
declare -A ran_ns ran_n
for t in /proc/"$guest_pid"/task/*; do read -r ran_ns[$t] _ ran_n[$t] < "$t/schedstat"; done
before=$(ticks "$guest_pid")
window_from=$(( ($(date +%s%N) - started) / 1000000 ))
sleep "$seconds"
after=$(ticks "$guest_pid")
window_to=$(( ($(date +%s%N) - started) / 1000000 ))
used=$((after - before))
echo "guest: $((used * 1000 / hz)) ms of CPU in ${seconds} s after ${warmup} s = $(awk -v u="$used" -v hz="$hz" -v s="$seconds" \
  'BEGIN { printf "%.2f", 100 * u / hz / s }') % of a CPU (utime+stime, /proc/$guest_pid/stat)"
echo "guest: $(grep -E '^(VmRSS|Threads)' "/proc/$guest_pid/status" | tr -s ' \t' ' ' | paste -sd ';')"
threads=$(for t in /proc/"$guest_pid"/task/*; do
  read -r ns _ n < "$t/schedstat" || continue
  d=$(( (ns - ${ran_ns[$t]:-0}) / 1000 ))
  if [ "$d" -gt 0 ]; then printf '  %8d µs %5d runs  %s\n' "$d" "$((n - ${ran_n[$t]:-0}))" "$(cat "$t/comm")"; fi
done | sort -rn)
echo "guest: threads $(awk '{s += $1} END {printf "%.1f", s / 1000}' <<<"$threads") ms of CPU in the window (sum of \
/proc/$guest_pid/task/*/schedstat, threads that ended in it left out)"
# the JVM's uptime in the log starts a little after $started, so a collection at the window's edge may be misplaced
gcs=$(awk -F'[][]' -v from="$window_from" -v to="$window_to" '/ GC\(/ { t = $2; sub(/s$/, "", t); t *= 1000
  if (t >= from && t <= to) print "  " $0 }' "$work/gc.log")
echo "guest: collections in the window: $( [ -n "$gcs" ] && printf '\n%s' "$gcs" || echo none)"
echo "per thread (µs of CPU, times it ran):"
printf '%s\n' "$threads"
