# Sourced by scripts/run.sh and scripts/bench.sh (and usable by a package's launcher):
#   http_get PORT PATH                 the body of an HTTP GET on 127.0.0.1 (bash's /dev/tcp; no curl needed)
#   jvm_options FILE                   prints the options of FILE (conf/jvm.options format), one per line:
#                                      blanks trimmed, blank lines and lines starting with # dropped
#   aot_cache_create JAR OUT [OPTIONS [CONF]]
#                                      writes the JDK 25 AOT cache OUT (JEP 483/514) for 'java -jar JAR': one
#                                      training run of 'vmbus run' on the simulated host (dashboard on a free
#                                      port), until every channel is open and /health has answered, then SIGTERM;
#                                      the JVM writes OUT as it exits. OPTIONS defaults to conf/jvm.options next
#                                      to this script, CONF the vmbus.json next to OPTIONS. JAR must be given
#                                      as the agent will run it: the cache records the class path by its
#                                      absolute path (realpath). The cache must be made with the same options and java as
#                                      the agent uses it with; a stale or missing one only costs start-up time.
jvm_options() {
  sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^#/d' -e '/^$/d' "$1"
}

# http_get PORT PATH: prints the body of GET http://127.0.0.1:PORT/PATH, through bash's own /dev/tcp (no curl,
# which minimal Debian images lack); fails unless the status is 200, and gives up after 5 s of silence.
http_get() (
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  IFS= read -r -t 5 status <&3 || exit 1
  case "$status" in "HTTP/1."?" 200"*) ;; *) exit 1 ;; esac
  while IFS= read -r -t 5 line <&3; do
    [ -z "${line%$'\r'}" ] && break
  done
  timeout 5 cat <&3
)

aot_cache_create() {
  local jar="$1" out="$2" options="${3:-$(dirname "${BASH_SOURCE[0]}")/../conf/jvm.options}"
  local conf="${4:-$(dirname "$options")/vmbus.json}"
  local work pid port i opts=()
  mapfile -t opts < <(jvm_options "$options")
  jar="$(realpath "$jar")" conf="$(realpath "$conf")" out="$(realpath -m "$out")"
  work="$(mktemp -d)"
  rm -f "$out"
  # Run from an empty directory so that the training run's KVP pool and file-copy roots stay out of the way.
  (cd "$work" && exec java "${opts[@]}" -XX:AOTCacheOutput="$out" -jar "$jar" \
    run --conf "$conf" --dashboard-port 0 >"$work/train.log" 2>&1) &
  pid=$!
  for i in $(seq 1 300); do
    port="$(sed -n 's|.*dashboard at http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/train.log" | head -1)"
    if [ -n "$port" ] && grep -q "vmbus agent running" "$work/train.log" \
      && http_get "$port" /health >/dev/null 2>&1 \
      && [ "$(http_get "$port" /api/channels 2>/dev/null | grep -o '"state":"open","handled":true' | wc -l)" -ge 6 ]; then
      http_get "$port" /metrics >/dev/null 2>&1 || true
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  local rc=$?
  if [ ! -s "$out" ]; then
    echo "aot_cache_create: no cache written (training exited with $rc); output:" >&2
    tail -20 "$work/train.log" >&2
    rm -rf "$work"
    return 1
  fi
  rm -rf "$work"
}
