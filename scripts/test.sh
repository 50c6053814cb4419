#!/usr/bin/env bash
# The test command. Installs what the tests need when it is missing (Maven; Debian's chrony for the real
# chronyd test; iproute2, iputils-ping, iperf3 and gcc for the synthetic NIC's end-to-end test; chromium and chromium-driver for the browser test; prometheus for promtool; dpkg-dev, binutils,
# lintian and systemd for the Debian package and its unit; debootstrap and systemd-container to boot it under a
# real systemd), with sudo when not root, then runs the whole Maven
# suite on JDK 25 (unit tests, then the package, then the package's tests).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk25.sh

missing=()
command -v mvn >/dev/null 2>&1 || missing+=(maven)
[ -x /usr/sbin/chronyd ] || missing+=(chrony)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v python3 >/dev/null 2>&1 || missing+=(python3)   # the KVP lock test takes the daemon's lock from another program
# The synthetic NIC's end-to-end test: namespaces and addresses (ip), ping6, iperf3 for vmbus bench net, gcc for tapfwd.c.
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v ping >/dev/null 2>&1 || missing+=(iputils-ping)
command -v iperf3 >/dev/null 2>&1 || missing+=(iperf3)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
# The Debian package: built with dpkg-deb, dpkg-shlibdeps (dpkg-dev) and strip (binutils), checked with lintian,
# its unit with systemd-analyze (package systemd; nothing is started), its completion with bash.
command -v dpkg-shlibdeps >/dev/null 2>&1 || missing+=(dpkg-dev)
command -v strip >/dev/null 2>&1 || missing+=(binutils)
command -v lintian >/dev/null 2>&1 || missing+=(lintian)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# The unit under a real systemd (SystemdContainerIT): a Debian 12 root made by debootstrap, booted by systemd-nspawn.
[ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
command -v systemd-nspawn >/dev/null 2>&1 || missing+=(systemd-container)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
  # Installing chrony or prometheus starts their services; the tests run private instances instead.
  $SUDO systemctl stop chrony prometheus 2>/dev/null || true
fi
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
exec mvn -B -ntp verify "$@"
