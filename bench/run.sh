#!/usr/bin/env bash
# Throughput of Gatehouse beside nginx doing the same job, measured in the same run.
# Scenario 1: keep-alive HTTPS in, mutual TLS out to an nginx backend that requires a client
# certificate (ssl_verify_client on), 200-byte responses. wrk drives both proxies alternately.
#
#   bench/run.sh [seconds-per-run] [connections] [rounds]
#
# Needs: nginx (nginx-light), wrk; installs them with apt-get when missing and run as root.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
secs=${1:-15}; conns=${2:-50}; rounds=${3:-2}
for tool in nginx wrk; do
  if ! command -v $tool >/dev/null 2>&1 && [ ! -x /usr/sbin/$tool ]; then
    apt-get update -qq && apt-get install -y -qq nginx-light wrk >/dev/null
  fi
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d /tmp/gatehouse-bench.XXXXXX)
gh_pid=""
trap '[ -n "$gh_pid" ] && kill "$gh_pid" 2>/dev/null; "$NGINX" -p "$work/ref" -c "$work/ref/nginx.conf" -s stop 2>/dev/null || true; "$NGINX" -p "$work/be" -c "$work/be/nginx.conf" -s stop 2>/dev/null || true' EXIT
gh() { "$here/gatehouse" "$@"; }

echo "bench: PKI in $work"
mkdir -p "$work/pki" "$work/be/logs" "$work/ref/logs"
gh pki ca --subject "CN=Bench CA" --out "$work/pki/ca" >/dev/null
gh pki issue --ca "$work/pki/ca.pem" --ca-key "$work/pki/ca.key" --server --subject "CN=localhost" --san localhost,127.0.0.1 --out "$work/pki/server" >/dev/null
gh pki issue --ca "$work/pki/ca.pem" --ca-key "$work/pki/ca.key" --client --subject "CN=bench-gateway" --out "$work/pki/gwclient" >/dev/null

body=$(head -c 200 /dev/zero | tr '\0' 'x')
cat > "$work/be/nginx.conf" <<CONF
worker_processes 1;
pid $work/be/nginx.pid;
error_log $work/be/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:19443 ssl;
    ssl_certificate $work/pki/server.pem;
    ssl_certificate_key $work/pki/server.key;
    ssl_client_certificate $work/pki/ca.pem;
    ssl_verify_client on;
    location / { default_type text/plain; return 200 '$body'; }
  }
}
CONF
cat > "$work/ref/nginx.conf" <<CONF
worker_processes auto;
pid $work/ref/nginx.pid;
error_log $work/ref/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream backend { server 127.0.0.1:19443; keepalive 64; }
  server {
    listen 127.0.0.1:18443 ssl;
    http2 on;
    ssl_certificate $work/pki/server.pem;
    ssl_certificate_key $work/pki/server.key;
    location /patients/ {
      proxy_pass https://backend/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host localhost;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      proxy_ssl_certificate $work/pki/gwclient.pem;
      proxy_ssl_certificate_key $work/pki/gwclient.key;
      proxy_ssl_trusted_certificate $work/pki/ca.pem;
      proxy_ssl_verify on;
      proxy_ssl_name localhost;
      proxy_ssl_server_name on;
      proxy_ssl_session_reuse on;
    }
  }
}
CONF
sed -i 's/^    http2 on;$//' "$work/ref/nginx.conf"   # nginx 1.22 has no "http2 on"; HTTP/1.1 is what wrk speaks
cat > "$work/gatehouse.yaml" <<CONF
gateway:
  listeners:
    - port: 17443
      bind: 127.0.0.1
hostnames:
  - hostName: localhost
    certificateId: tls
    defaultSslBinding: true
caCertificates:
  - id: ca
    file: pki/ca.pem
    storeName: Root
certificates:
  - id: tls
    certificateFile: pki/server.pem
    keyFile: pki/server.key
  - id: gwclient
    certificateFile: pki/gwclient.pem
    keyFile: pki/gwclient.key
backends:
  - id: backend
    url: https://localhost:19443
    tls:
      trustedCaCertificateIds: [ca]
    credentials:
      certificateIds: [gwclient]
apis:
  - id: patients
    path: patients
    backendId: backend
CONF
"$NGINX" -p "$work/be" -c "$work/be/nginx.conf"
"$NGINX" -p "$work/ref" -c "$work/ref/nginx.conf"
GATEHOUSE_JAVA_OPTS="-Xmx512m" "$here/gatehouse" run -c "$work/gatehouse.yaml" --no-watch > "$work/gatehouse.log" 2>&1 &
gh_pid=$!   # the launcher execs java, so this is the gateway itself
for i in $(seq 1 100); do curl -sk -o /dev/null https://127.0.0.1:17443/patients/1 && break; sleep 0.2; done
for url in https://127.0.0.1:17443/patients/1 https://127.0.0.1:18443/patients/1; do
  got=$(curl -sk "$url"); [ "$got" = "$body" ] || { echo "bench: $url answered '$got'"; cat "$work/gatehouse.log"; exit 1; }
done
wrk -t2 -c"$conns" -d5s https://127.0.0.1:17443/patients/1 >/dev/null   # JIT warm-up
wrk -t2 -c"$conns" -d3s https://127.0.0.1:18443/patients/1 >/dev/null

run() { # name url
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$2")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
  printf '%-10s %12s %10s %10s  %s\n' "$1" "$rps" "$p50" "$p99" "${errs:-no errors}"
  echo "$rps" >> "$work/$1.rps"
}
echo
echo "scenario 1: keep-alive HTTPS in, mTLS out, 200-byte responses; wrk -t2 -c$conns -d${secs}s; $(nproc) cores"
printf '%-10s %12s %10s %10s  %s\n' proxy "req/s" p50 p99 errors
for r in $(seq 1 "$rounds"); do
  run gatehouse https://127.0.0.1:17443/patients/1
  run nginx https://127.0.0.1:18443/patients/1
done
g=$(awk '{s+=$1} END {print s/NR}' "$work/gatehouse.rps"); n=$(awk '{s+=$1} END {print s/NR}' "$work/nginx.rps")
echo
printf 'mean req/s: gatehouse %.0f, nginx %.0f, ratio gatehouse/nginx %.2f\n' "$g" "$n" "$(echo "$g / $n" | bc -l)"
