#!/bin/sh
# /usr/bin/vmbus: the vmbus command on the Java runtime this package ships (/usr/lib/vmbus/runtime, cut down
# with jlink), with the JVM options of /etc/vmbus/jvm.options (one option a line; '#' lines and blank lines
# skipped). Every path is found from where this script is, so that an install into another root (dpkg --root)
# runs too. `exec` keeps the JVM as the process systemd started (NotifyAccess=main).
set -e
self=$0
if command -v readlink >/dev/null 2>&1; then
    self=$(readlink -f "$0")
fi
prefix=${self%/bin/vmbus}          # /usr (or /usr under another root)
lib=$prefix/lib/vmbus
options=${prefix%/usr}/etc/vmbus/jvm.options
java=$lib/runtime/bin/java
if [ ! -x "$java" ]; then
    echo "vmbus: the packaged Java runtime $java is missing; reinstall the vmbus package" >&2
    exit 1
fi
# The options go before the user's arguments: append them and '-jar JAR', then move the user's n arguments
# (still at the front) to the end. Plain sh has no arrays.
n=$#
# Without --conf every command reads /etc/vmbus/vmbus.json (under the same root), not the jar's conf/vmbus.json.
set -- "$@" "-Dvmbus.defaultConf=${prefix%/usr}/etc/vmbus/vmbus.json"
# Without --plugins or plugins.dir, run and host load the plug-in jars in /usr/lib/vmbus/plugins (same root).
set -- "$@" "-Dvmbus.defaultPlugins=$lib/plugins"
# The AOT cache trained when the package was built (start-up in about a second instead of two). Before the
# options of jvm.options, so that a line there wins (-XX:AOTMode=off: without it). A stale one (jvm.options edited)
# is ignored with a warning; the JVM's warnings go to stderr so that they never mix with a command's output.
# Without the cache's adapters (-AOTAdapterCaching, a diagnostic flag): JDK 25 finds them by a hash of their
# signature, which two of this agent's share (LLLLLLLLILL, LLLLLLLDLL), and warns at every start that it cannot
# link one (JDK-8364929: each adapter gets an id after 25; 25.0.3 still warns); the classes stay AOT-linked.
if [ -r "$lib/vmbus.aot" ]; then
    set -- "$@" "-XX:AOTCache=$lib/vmbus.aot" -XX:+UnlockDiagnosticVMOptions -XX:-AOTAdapterCaching \
        -Xlog:disable -Xlog:all=warning:stderr
fi
if [ -r "$options" ]; then
    while read -r line; do
        case $line in
            ''|'#'*) ;;
            *) set -- "$@" "$line" ;;
        esac
    done < "$options"
fi
set -- "$@" -jar "$lib/vmbus.jar"
while [ "$n" -gt 0 ]; do
    set -- "$@" "$1"
    shift
    n=$((n - 1))
done
exec "$java" "$@"
