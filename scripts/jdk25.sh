# Sourced by the scripts before anything runs java or mvn: exports JAVA_HOME as a JDK 25 and puts it first on PATH,
# or stops the calling script with a message naming JDK 25 and where to get it. JAVA_HOME is kept when it is a
# JDK 25; else the Temurin 25 package's directory is used (/usr/lib/jvm/temurin-25-jdk-<arch>, as Adoptium's
# Debian package installs it). Debian 12 ships no JDK 25, and its maven package pulls JDK 17, with which the build
# fails later and less clearly.
jdk25() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && "$1/bin/java" -version 2>&1 | grep -q 'version "25'
}
if [ -z "${JAVA_HOME:-}" ] || ! jdk25 "$JAVA_HOME"; then
  for candidate in /usr/lib/jvm/temurin-25-jdk-*; do
    if jdk25 "$candidate"; then
      export JAVA_HOME="$candidate"
      break
    fi
  done
fi
if [ -z "${JAVA_HOME:-}" ] || ! jdk25 "$JAVA_HOME"; then
  echo "$(basename "$0"): needs a JDK 25 (java and javac), and neither JAVA_HOME (${JAVA_HOME:-unset}) nor" \
    "/usr/lib/jvm/temurin-25-jdk-* is one. Debian 12 has none: install Eclipse Temurin 25 from Adoptium's apt" \
    "repository (https://adoptium.net/installation/linux/, package temurin-25-jdk), or unpack a JDK 25 from" \
    "https://jdk.java.net/25/ and set JAVA_HOME to its directory." >&2
  exit 1
fi
export PATH="$JAVA_HOME/bin:$PATH"
