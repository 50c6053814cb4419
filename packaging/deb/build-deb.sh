#!/usr/bin/env bash
# Builds target/vmbus_<version>_<arch>.deb from the shaded jar; run by Maven in the package phase (exec plugin),
# or by hand after `mvn package`:  packaging/deb/build-deb.sh VERSION TARGET_DIR
# Needs a JDK 25 (jlink), dpkg-deb, dpkg-shlibdeps (dpkg-dev), strip (binutils) and gzip; the man page and bash completion are
# generated from the CLI definition by running the jar.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
base=$(cd "$here/../.." && pwd)
maven_version=${1:?project version}
target=$(cd "${2:?target directory}" && pwd)
jdk=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

for tool in dpkg-deb dpkg-shlibdeps gzip strip; do
    command -v "$tool" >/dev/null || { echo "build-deb: $tool is missing (Debian packages dpkg, dpkg-dev, gzip, binutils;" \
        "bash scripts/test.sh installs them), or build with -Ddeb.skip" >&2; exit 1; }
done
[ -x "$jdk/bin/jlink" ] || { echo "build-deb: no jlink in JAVA_HOME=$jdk (a JDK 25 is needed)" >&2; exit 1; }

# Debian's version: 0.1.0-SNAPSHOT becomes 0.1.0~SNAPSHOT, which sorts before the 0.1.0 release.
version=${maven_version//-/\~}
arch=$(dpkg --print-architecture)
work=$target/deb
root=$work/root
rm -rf "$root" "$work/control"
mkdir -p "$root" "$work/control"
# Reproducible: every timestamp is the last commit's (or now, outside git).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$base" log -1 --format=%ct 2>/dev/null || date +%s)}

# --- The Java runtime: jlink once, reused while the JDK and the module list stay the same ---------------------
# Modules from `jdeps --print-module-deps target/vmbus.jar`, less what only optional code paths of the
# libraries use: java.compiler (Vert.x compiling .java verticles), java.desktop and java.sql (Jackson's
# java.beans and java.sql.* support, loaded only when such types appear), jdk.jfr (Netty's optional JFR
# events). java.logging is named because java.sql brought it in. The packaged agent is run in the build
# (PackageIT), so a module the agent's own paths need cannot go missing unnoticed.
modules=java.base,java.logging,java.naming,java.net.http,jdk.unsupported
jlink_options=(--strip-debug --no-man-pages --no-header-files --compress zip-6)
key="$("$jdk/bin/java" -version 2>&1 | tr '\n' ' ') $modules ${jlink_options[*]}"
runtime=$work/runtime
if [ ! -f "$work/runtime.key" ] || [ "$(cat "$work/runtime.key")" != "$key" ] || [ ! -x "$runtime/bin/java" ]; then
    rm -rf "$runtime" "$work/runtime.key"
    "$jdk/bin/jlink" --add-modules "$modules" "${jlink_options[@]}" --output "$runtime"
    echo "$key" > "$work/runtime.key"
fi

lib=$root/usr/lib/vmbus
install -d "$lib"
cp -a "$runtime" "$lib/runtime"
# Not needed by the agent: keytool (no TLS keystores) and jexec (binfmt_misc launching of jars).
rm -f "$lib/runtime/bin/keytool" "$lib/runtime/lib/jexec"
# Private libraries need no execute bit; executables keep it (jspawnhelper starts every child process). The
# notices under legal/ come read-only from the JDK.
find "$lib/runtime" -name '*.so' -exec chmod 0644 {} +
find "$lib/runtime/legal" -type f -exec chmod 0644 {} +
# Strip the native code as dh_strip does (Temurin ships symbol tables, libjvm.so's is large).
find "$lib/runtime" -type f -name '*.so' -exec strip --remove-section=.comment --remove-section=.note --strip-unneeded {} +
strip --remove-section=.comment --remove-section=.note "$lib/runtime/bin/java" "$lib/runtime/lib/jspawnhelper"
install -m 0644 "$target/vmbus.jar" "$lib/vmbus.jar"
install -d -m 0755 "$lib/plugins"   # plug-in jars (docs/PLUGINS.md); empty as shipped
# The jar's final time now: the AOT cache below records it, and dpkg installs it unchanged.
touch -d "@$SOURCE_DATE_EPOCH" "$lib/vmbus.jar"

install -D -m 0755 "$here/vmbus.sh" "$root/usr/bin/vmbus"
install -D -m 0644 "$base/conf/vmbus-uio.json" "$root/etc/vmbus/vmbus.json"
install -D -m 0644 "$base/conf/jvm.options" "$root/etc/vmbus/jvm.options"
install -D -m 0644 "$base/conf/vmbus.service" "$root/lib/systemd/system/vmbus.service"
install -D -m 0644 "$here/modules-load.conf" "$root/usr/lib/modules-load.d/vmbus.conf"
install -D -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/vmbus"

# --- The AOT cache (JEP 483/514) for the installed agent ------------------------------------------------------
# Trained here with the packaged runtime and the options of conf/jvm.options (the conffile /etc/vmbus/jvm.options):
# one `vmbus run` on the simulated host until every channel is open and the dashboard has answered. The cache
# records the jar by path, size and time; the JVM accepts it when the whole class path has moved together
# (here from $root/usr/lib/vmbus to /usr/lib/vmbus) and ignores it, with a warning, when it is stale (the jar or
# the options changed) or missing: it only saves start-up time. /usr/bin/vmbus passes it when it exists.
. "$base/scripts/jvm-options.sh"
PATH="$lib/runtime/bin:$PATH" aot_cache_create "$lib/vmbus.jar" "$lib/vmbus.aot" "$base/conf/jvm.options" "$base/conf/vmbus.json"
chmod 0644 "$lib/vmbus.aot"

# --- Man page and completion, generated from the CLI definition ---------------------------------------------
gen=$work/generated
rm -rf "$gen" && mkdir -p "$gen"

"$runtime/bin/java" --enable-native-access=ALL-UNNAMED -cp "$target/vmbus.jar" dev.vmbus.cli.CliDocs "$gen"
install -D -m 0644 "$gen/vmbus.1" "$root/usr/share/man/man1/vmbus.1"
gzip -9n "$root/usr/share/man/man1/vmbus.1"
install -D -m 0644 "$gen/vmbus.bash" "$root/usr/share/bash-completion/completions/vmbus"

# --- Documentation: copyright, changelog ----------------------------------------------------------------------
doc=$root/usr/share/doc/vmbus
install -D -m 0644 "$here/copyright" "$doc/copyright"
{
    echo "vmbus ($version) unstable; urgency=medium"
    echo
    echo "  * Built from vertx-vmbus $maven_version$(git -C "$base" log -1 --format=' (commit %h)' 2>/dev/null || true)."
    echo
    echo " -- $(sed -n 's/^Maintainer: //p' "$here/control.in")  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} > "$doc/changelog"
gzip -9n "$doc/changelog"

# --- Control files -------------------------------------------------------------------------------------------
for script in postinst prerm postrm; do
    install -m 0755 "$here/$script" "$work/control/$script"
done
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) > "$work/control/conffiles"
# Library dependencies of every ELF file of the runtime; its own libraries (libjvm, libjli...) are found in
# the package itself.
mkdir -p "$work/shlibs/debian"
printf 'Source: vmbus\n\nPackage: vmbus\nArchitecture: any\n' > "$work/shlibs/debian/control"
elves=()
while IFS= read -r f; do
    if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        elves+=("$f")
    fi
done < <(find "$lib/runtime" -type f)
depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O --ignore-missing-info \
    -l"$lib/runtime/lib" -l"$lib/runtime/lib/server" "${elves[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --apparent-size "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@SIZE@|$size|" -e "s|@DEPENDS@|$depends|" \
    "$here/control.in" > "$work/control/control"
(cd "$root" && find . -type f ! -path './etc/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$work/control/md5sums"

# Every file and directory: root-owned, and the modes set above with nothing group- or world-writable.
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
chmod -R go-w "$root"
cp -a "$work/control" "$root/DEBIAN"
deb=$target/vmbus_${version}_${arch}.deb
rm -f "$target"/vmbus_*.deb
# gzip, not xz: the runtime's modules file and the jar are compressed already, so xz -6 saves 2.7 MB of 31 for
# 30 s more CPU on every build.
dpkg-deb --root-owner-group -Zgzip -z9 --build "$root" "$deb" >/dev/null
rm -rf "$root/DEBIAN"
echo "build-deb: $deb ($(du -h "$deb" | cut -f1), runtime modules $modules)"
