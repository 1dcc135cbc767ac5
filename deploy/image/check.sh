#!/usr/bin/env bash
# Checks the image deploy/image/build.sh made, with podman, the way Kubernetes runs it
# (deploy/kubernetes/deployment.yaml): read-only root filesystem, the image's non-root user, the
# config and secrets mounted read-only, a writable /tmp. It loads the OCI tarball, checks the
# image's config (user, entrypoint, exposed ports), lays out the sample config with a throw-away
# certificate, starts the gateway, asks /health and sends a request, compares the config hash with
# the one `gatehouse validate` computes on the same files outside the container, then stops it
# with SIGTERM and expects exit 0 after the drain.
#   deploy/image/build.sh && deploy/image/check.sh
# Ports 18443 and 19090 on this machine must be free (the container uses the host's network).
# Where podman's default runtime (crun) cannot run here (cgroups v1/v2 hybrid, no CAP_SYS_RESOURCE
# for rlimits), set PODMAN_OPTS, e.g. PODMAN_OPTS="--runtime runc --cgroup-manager=cgroupfs" and
# PODMAN_RUN_OPTS="--ulimit nofile=4096:4096 --ulimit nproc=4096:4096".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tar="$root/gatehouse-cli/target/gatehouse-image.tar"
[ -f "$tar" ] || { echo "check: $tar is missing: run deploy/image/build.sh first" >&2; exit 1; }
command -v podman >/dev/null || { echo "check: podman is not installed (apt-get install podman)" >&2; exit 1; }
pod() { podman ${PODMAN_OPTS:-} "$@"; }
fail() { echo "check: FAILED: $*" >&2; exit 1; }

image="$(pod load -q -i "$tar" | sed -n 's/^Loaded image: //p' | tail -1)"
[ -n "$image" ] || fail "podman load named no image"
echo "check: loaded $image"
user="$(pod image inspect "$image" --format '{{.Config.User}}')"
[ "$user" = "10001:10001" ] || fail "the image runs as '$user', expected 10001:10001"
ports="$(pod image inspect "$image" --format '{{range $p, $v := .Config.ExposedPorts}}{{$p}} {{end}}')"
case "$ports" in *8443/tcp*9090/tcp*) ;; *) fail "exposed ports '$ports'" ;; esac
entry="$(pod image inspect "$image" --format '{{json .Config.Entrypoint}}')"
case "$entry" in '["/opt/java/bin/java"'*io.gatehouse.cli.Main*) ;; *) fail "entrypoint $entry" ;; esac
echo "check: user $user, ports $ports, entrypoint $entry"

work="$(mktemp -d)"
name="gatehouse-check-$$"
trap 'pod rm -f "$name" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
etc="$work/etc/gatehouse"
mkdir -p "$etc/config" "$etc/tls" "$etc/backend-ca" "$etc/secrets"
# the sample config, on this machine's free ports, with a certificate for its hostname
sed -e 's/- port: 8443/- port: 18443/' -e 's/port: 9090/port: 19090/' "$root/deploy/kubernetes/gatehouse.yaml" > "$etc/config/gatehouse.yaml"
cp "$root/deploy/kubernetes/global.xml" "$etc/config/"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=api.example.org \
  -addext subjectAltName=DNS:api.example.org -keyout "$etc/tls/tls.key" -out "$etc/tls/tls.crt" 2>/dev/null
cp "$etc/tls/tls.crt" "$etc/backend-ca/ca.crt"
printf 'key-%s' "$RANDOM" > "$etc/secrets/backend-api-key"
printf 'pw-%s' "$RANDOM" > "$etc/secrets/redis-password"
# as the kubelet leaves a Secret with fsGroup 10001 and defaultMode 0440
chgrp -R 10001 "$etc" && chmod -R g+rX "$etc" && chmod 0440 "$etc/tls/tls.key" "$etc/secrets/"*

pod run -d --name "$name" --read-only --network host ${PODMAN_RUN_OPTS:-} \
  -v "$etc:/etc/gatehouse:ro" "$image" run -c /etc/gatehouse/config/gatehouse.yaml >/dev/null
health=""
for _ in $(seq 1 120); do
  health="$(curl -sf http://127.0.0.1:19090/health || true)"
  [ -n "$health" ] && break
  sleep 1
done
[ -n "$health" ] || { pod logs "$name" >&2; fail "no /health answer in 120 s"; }
echo "check: /health: $(echo "$health" | tr -d '\n ')"
code="$(curl -s -o /dev/null -w '%{http_code}' --cacert "$etc/tls/tls.crt" --resolve api.example.org:18443:127.0.0.1 \
  https://api.example.org:18443/no-such-api)"
[ "$code" = "404" ] || fail "a request to an unknown API answered $code, expected 404"
echo "check: a request through the container's TLS listener: $code (no API at that path), as expected"
who="$(pod top "$name" user | tail -1 | tr -d ' ')"
[ "$who" = "gatehouse" ] || fail "the gateway runs as '$who'"
echo "check: the gateway runs as $who with a read-only root filesystem"
hash="$(echo "$health" | sed -n 's/.*"configHash" *: *"\([^"]*\)".*/\1/p')"
# the same files outside the container give the same hash (paths are hashed relative to the config's folder)
local_hash="$("$root/gatehouse" validate --hash -c "$etc/config/gatehouse.yaml" | sed -n 's/^config hash: //p')"
[ "$hash" = "$local_hash" ] || fail "the container's hash $hash differs from validate's $local_hash"
echo "check: validate on the same files outside the container gives the same hash: $hash"
pod stop -t 30 "$name" >/dev/null
exit_code="$(pod inspect "$name" --format '{{.State.ExitCode}}')"
logs="$(pod logs "$name" 2>&1)"
case "$logs" in *"stopping: draining"*"stopped"*) ;; *) echo "$logs" >&2; fail "no drain on SIGTERM" ;; esac
[ "$exit_code" = "0" ] || fail "exit code $exit_code after SIGTERM"
echo "check: SIGTERM drained and exited 0"
echo "check: OK"
