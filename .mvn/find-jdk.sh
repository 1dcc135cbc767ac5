# Finds a JDK 21 or newer for Gatehouse's build and launcher. Sourced (POSIX sh) by ./mvnw, near
# its top, and by ./gatehouse; ./mvnw is the generated Maven Wrapper, and this is its only change.
#
# JAVA_HOME is kept when it names a JDK 21+. Otherwise it is set to the newest JDK 21+ found:
# on macOS the one /usr/libexec/java_home reports, elsewhere the newest under /usr/lib/jvm (or
# under GATEHOUSE_JVM_DIR when set; the tests use that). When none is found JAVA_HOME is left as
# it was, and the java on PATH is used as before.

# Prints the feature version (17, 21, 25, ...) of the JDK at $1, or 0 when it cannot tell.
gatehouse_jdk_major() {
  gatehouse_v=""
  if [ -f "$1/release" ]; then
    # read with the shell's own read: no sed or head to start (this runs for every JDK installed)
    while IFS= read -r gatehouse_line || [ -n "$gatehouse_line" ]; do
      case "$gatehouse_line" in
        JAVA_VERSION=*)
          gatehouse_v=${gatehouse_line#JAVA_VERSION=}
          gatehouse_v=${gatehouse_v#\"}
          gatehouse_v=${gatehouse_v%%\"*}
          gatehouse_v=${gatehouse_v%%[!0-9.]*} # "25-ea", "21.0.2+13": the digits and dots before
          break ;;
      esac
    done < "$1/release"
    unset gatehouse_line
  fi
  if [ -z "$gatehouse_v" ] && [ -x "$1/bin/java" ]; then
    gatehouse_v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 \
      | sed -n 's/^ *java\.specification\.version = //p' | head -n 1)
  fi
  case "$gatehouse_v" in 1.*) gatehouse_v=${gatehouse_v#1.} ;; esac
  gatehouse_v=${gatehouse_v%%.*}
  case "$gatehouse_v" in '' | *[!0-9]*) gatehouse_v=0 ;; esac
  echo "$gatehouse_v"
}

# Prints the JDK home to use, or fails when none 21+ is found. A subshell: globbing on (./mvnw
# runs with set -f), and its variables stay local.
gatehouse_find_jdk() (
  set +f
  min=21
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] \
     && [ "$(gatehouse_jdk_major "$JAVA_HOME")" -ge "$min" ]; then
    echo "$JAVA_HOME"
    return 0
  fi
  if [ -z "${GATEHOUSE_JVM_DIR:-}" ] && [ -x /usr/libexec/java_home ]; then
    home=$(/usr/libexec/java_home -v "$min+" 2>/dev/null) || home=""
    if [ -n "$home" ]; then echo "$home"; return 0; fi
  fi
  best=""
  best_v=0
  for home in "${GATEHOUSE_JVM_DIR:-/usr/lib/jvm}"/*; do
    [ -x "$home/bin/javac" ] || continue # a JDK: the build compiles
    v=$(gatehouse_jdk_major "$home")
    if [ "$v" -ge "$min" ] && [ "$v" -gt "$best_v" ]; then
      best=$home
      best_v=$v
    fi
  done
  [ -n "$best" ] || return 1
  echo "$best"
)

if gatehouse_jdk=$(gatehouse_find_jdk); then
  if [ "$gatehouse_jdk" != "${JAVA_HOME:-}" ]; then
    if [ -n "${JAVA_HOME:-}" ]; then
      echo "gatehouse: JAVA_HOME ($JAVA_HOME) is older than JDK 21; using $gatehouse_jdk" >&2
    fi
    JAVA_HOME=$gatehouse_jdk
    export JAVA_HOME
  fi
fi
unset gatehouse_jdk gatehouse_v
