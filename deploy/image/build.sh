#!/usr/bin/env bash
# Builds the Gatehouse container image as an OCI tarball, without a Docker daemon:
#   deploy/image/build.sh            -> gatehouse-cli/target/gatehouse-image.tar (image gatehouse:VERSION)
#   GATEHOUSE_IMAGE=registry.example.org/gatehouse:1.2 deploy/image/build.sh
# Load it with `podman load -i gatehouse-cli/target/gatehouse-image.tar` (or skopeo, or
# `docker load` where a Docker engine runs), or push it with `skopeo copy oci-archive:... docker://...`.
#
# The image has no base image to download: it is "scratch" plus
#   /opt/java   a Java runtime made by jlink from the build's JDK (only the modules Gatehouse uses)
#   /lib..., /lib64/ld-linux-x86-64.so.2   the C libraries that runtime and Netty's native code link
#               (copied from this machine, found with ldd: glibc, libz, libgcc_s)
#   /etc/passwd, /etc/group   the user gatehouse (10001), which the image runs as
#   /app        Gatehouse's classes and libraries (Jib's layers)
# So the build machine must be Linux x86_64 with glibc, like the image. Nothing in the image writes
# outside /tmp: run it with a read-only root filesystem and a writable /tmp (Netty unpacks its
# native libraries there; it must not be mounted noexec).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
. .mvn/find-jdk.sh
jdk="${JAVA_HOME:?no JDK 21+ found (set JAVA_HOME)}"
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || { echo "build.sh: builds on Linux x86_64 only (the image's C libraries come from this machine)" >&2; exit 1; }
offline="${GATEHOUSE_MVN_OFFLINE:+-o}"
out="$root/deploy/image/target"
rootfs="$out/rootfs"

echo "image: building the jar" >&2
./mvnw -B -q $offline package -pl gatehouse-cli -am -DskipTests

echo "image: jlink runtime from $jdk" >&2
rm -rf "$rootfs"
mkdir -p "$rootfs/opt" "$rootfs/etc" "$rootfs/tmp"
# The modules Gatehouse's classes use (jdeps on the jar's classes), plus those loaded by name:
# SunPKCS11 (jdk.crypto.cryptoki), DNS lookups through JNDI (jdk.naming.dns), more charsets.
modules=java.base,java.compiler,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql
modules=$modules,java.xml,java.xml.crypto,java.security.jgss,java.security.sasl,jdk.httpserver,jdk.jfr,jdk.management
modules=$modules,jdk.unsupported,jdk.crypto.cryptoki,jdk.crypto.ec,jdk.naming.dns,jdk.charsets,jdk.zipfs
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --output "$rootfs/opt/java"

echo "image: C libraries" >&2
natives="$out/natives"
rm -rf "$natives" && mkdir -p "$natives"
(cd "$natives" && "$jdk/bin/jar" xf "$root/gatehouse-cli/target/gatehouse.jar" META-INF/native)
# every shared library the runtime and Netty's natives need, at the path the loader looks for it
# (not the desktop's: AWT's X11 and sound libraries are never loaded by a headless server)
find "$rootfs/opt/java" "$natives" -name '*.so' ! -name 'libawt_xawt.so' ! -name 'libjsound.so' ! -name 'libsplashscreen.so' ! -name 'libjawt.so' \
  -print0 | xargs -0 ldd 2>/dev/null \
  | awk '/=> \// {print $3} /^\t\/lib64\// {print $1}' | sort -u | while read -r lib; do
    real="$(readlink -f "$lib")"
    mkdir -p "$rootfs$(dirname "$lib")"
    cp "$real" "$rootfs$lib"
  done
# glibc loads libgcc_s when a thread is cancelled or unwinds; Java's libzip may link the system zlib
for extra in /lib/x86_64-linux-gnu/libgcc_s.so.1 /lib/x86_64-linux-gnu/libz.so.1; do
  [ -e "$extra" ] && cp "$(readlink -f "$extra")" "$rootfs$extra"
done
[ -e "$rootfs/lib64/ld-linux-x86-64.so.2" ] || { echo "build.sh: the dynamic loader was not found with ldd" >&2; exit 1; }

cat > "$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
gatehouse:x:10001:10001:Gatehouse:/tmp:/sbin/nologin
EOF
cat > "$rootfs/etc/group" <<'EOF'
root:x:0:
gatehouse:x:10001:
EOF
echo 'hosts: files dns' > "$rootfs/etc/nsswitch.conf"

echo "image: Jib (OCI tarball)" >&2
./mvnw -B -q $offline -Pimage package -pl gatehouse-cli -am -DskipTests \
  -Dgatehouse.rootfs="$rootfs" ${GATEHOUSE_IMAGE:+-Dgatehouse.image="$GATEHOUSE_IMAGE"}
echo "image: $root/gatehouse-cli/target/gatehouse-image.tar"
