#!/usr/bin/env bash
# Gatehouse beside nginx and HAProxy doing the same mTLS job on the same machine, measured in one run.
#
#   bench/run.sh [seconds-per-run] [connections] [rounds] [scenarios]   (defaults: 10 50 4 all)
#
# scenarios: a comma-separated selection such as 1,4 (1 1l 2a 2b 3 3h 3r 4 4n 5 6 7v 7); all by default.
#
# Scenarios (each run against Gatehouse, nginx and HAProxy in turns, `rounds` times):
#   1 keep-alive HTTPS in, mTLS out to an nginx backend (ssl_verify_client on), 200-byte responses (wrk)
#   1l scenario 1 against Gatehouse only, with the access log on (gateway.accessLog, JSON to a
#     file) beside the same gateway with it off (the gateway of the other scenarios, which logs
#     nothing, as nginx and HAProxy here): a second gateway on port 17446; each round runs both,
#     in an order that alternates by round; the summary gives the log's cost (target: under 5 %)
#   2 the same with 64 KB responses, and with 1 MB uploads (wrk)
#   3 a new TLS connection per request, with a client certificate verified in the handshake
#     (bench LoadGenerator: wrk cannot present a client certificate)
#   3h scenario 3 against Gatehouse only, with the server key on a PKCS#11 token (SoftHSM2, signing
#     through SunPKCS11 on the gateway's signing threads) beside the same key read from a file: a
#     second gateway on port 17445 whose certificate is the same, its key imported to a token made
#     for the run. Its two sides are "gatehouse" (file key, port 17443) and "gh-token"; each round
#     runs both, in an order that alternates by round. Handshakes per second = requests per second.
#   3r scenario 3 against a second Gatehouse with gateway.revocation.mode hard-fail, the client
#     certificate naming a CRL distribution point (a local HTTP server, python3 -m http.server)
#     and an OCSP responder (openssl ocsp), both cached after the first handshake; Gatehouse only:
#     the summary gives its cost against scenario 3's Gatehouse (soft-fail, a client certificate
#     naming no source: nothing to fetch) per round (target: within 10 %)
#   4 scenario 1 with a client certificate and the guide's validation policy on every request,
#     against Gatehouse without the policy (nginx cannot run APIM policies): one run of twice the
#     seconds, alternating between the two routes every half second (A B B A) on the same connections
#   4n scenario 4's guide policy with its thumbprint and issuer as named values ({{client-thumbprint}},
#     {{ca-issuer}}) against the same policy with them written in, alternating as in scenario 4:
#     named values are substituted when the document is read, so the two should cost the same
#   5 HTTP/2 inbound (h2load)
#   6 1,000 keep-alive mTLS connections at once, 64 KB responses (bench LoadGenerator): the peak
#     RSS column after it is the process's peak over the whole run (target: under 256 MB)
#   7v Gatehouse only: keep-alive POSTs of a 2 KB JSON order (nested objects, an array of line
#     items, formats date-time/email/uuid, enums, required properties) to an API defined by an
#     OpenAPI document (apis[].openApi) whose policy is validate-content (prevent), against the
#     same POSTs to an API from the same document without the policy (wrk); each round runs both,
#     in an order that alternates by round; the summary gives the policy's cost
#   7 scenario 1's route behind rate-limit-by-key (a limit of 10^9 calls per 60 s, counted per client
#     address) with its counters in Redis (gateway.externalCache: a redis-server this script starts,
#     with a password, on port 16379) beside the same limit in process (the gateway of the other
#     scenarios, route /limited/): a second gateway on port 17447; each round runs both, in an order
#     that alternates by round; the summary gives Redis's cost (target: under 10 %). The calls of one
#     key from one event loop go to Redis in batches, one script call in flight per key and loop,
#     on that loop's own connection to Redis; far below the limit a call is admitted at once and
#     counted with the next batch (gateway.externalCache.earlyAdmission, the default: README,
#     shared limits and caches in Redis, says how exact that stays).
# The table gives requests/s, latency, the CPU seconds (and CPU microseconds per request) and peak
# RSS of the proxy under test, and errors. Each round runs the three sides back to back, the order
# rotating by round (Gatehouse nginx HAProxy, then nginx HAProxy Gatehouse, then HAProxy Gatehouse
# nginx, ...), so that a machine whose speed drifts (a shared VM does, by tens of per cent over
# minutes) favours none; the summary gives, per scenario, the median over rounds of each round's
# Gatehouse/nginx and Gatehouse/HAProxy ratios, and of Gatehouse against the better of the two in
# that round. Scenario 4 is Gatehouse only: its two sides (policy, none) share each run's
# half-second slices instead (its CPU column is the run's, not split by side).
# nginx and HAProxy get the same job: TLS in with the same server certificate (ALPN h2 and
# http/1.1 on the port for scenarios 1, 2 and 5; a required, verified client certificate and no
# session resumption on the port for scenarios 3 and 6), mTLS out to the same nginx backend over
# pooled keep-alive connections, the same /patients/ route; 2 workers or threads, no logs.
# Every selected scenario is warmed up first.
# BENCH_SOAK=1 runs Gatehouse's side only, round after round, and prints its RSS after each round:
#   BENCH_SOAK=1 bench/run.sh 10 50 8   (eight rounds of every scenario: does the memory level off?)
# Needs nginx (nginx-light), haproxy, wrk, h2load (nghttp2-client), for 3h softhsm2 and opensc
# (pkcs11-tool), for 7 redis-server: installed with apt-get when missing.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
secs=${1:-10}; conns=${2:-50}; rounds=${3:-4}; only=${4:-all}
want() { [ "$only" = all ] || [[ ",$only," == *",$1,"* ]]; }
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v h2load >/dev/null 2>&1 || need+=(nghttp2-client)
if want 3h; then
  command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
  command -v pkcs11-tool >/dev/null 2>&1 || need+=(opensc)
fi
if want 7; then
  command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need+=(redis-server)
fi
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
. "$here/.mvn/find-jdk.sh"   # a JDK 21+, as ./gatehouse and ./mvnw choose it
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
work=$(mktemp -d /tmp/gatehouse-bench.XXXXXX)
chmod 755 "$work"   # nginx workers (user nobody) read the 64 KB file from here
gh_pid=""
ght_pid=""
cleanup() {
  [ -n "$gh_pid" ] && kill "$gh_pid" 2>/dev/null
  [ -n "$ght_pid" ] && kill "$ght_pid" 2>/dev/null
  [ -n "${rev_pid:-}" ] && kill "$rev_pid" 2>/dev/null
  [ -n "${acc_pid:-}" ] && kill "$acc_pid" 2>/dev/null
  [ -n "${red_pid:-}" ] && kill "$red_pid" 2>/dev/null
  [ -n "${redis_pid:-}" ] && kill "$redis_pid" 2>/dev/null
  for p in "${rev_aux[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  "$NGINX" -p "$work/ref" -c "$work/ref/nginx.conf" -s stop 2>/dev/null || true
  [ -s "$work/ha/haproxy.pid" ] && kill "$(cat "$work/ha/haproxy.pid")" 2>/dev/null
  "$NGINX" -p "$work/be" -c "$work/be/nginx.conf" -s stop 2>/dev/null || true
}
trap cleanup EXIT
gh() { "$here/gatehouse" "$@"; }
(cd "$here" && ./mvnw -B -q -DskipTests package >/dev/null)
BENCH_JAR="$here/gatehouse-bench/target/benchmarks.jar"

echo "bench: working in $work"
mkdir -p "$work/pki" "$work/be/logs" "$work/ref/logs" "$work/ha" "$work/www"
gh pki ca --subject "CN=Bench CA" --out "$work/pki/ca" >/dev/null
gh pki issue --ca "$work/pki/ca.pem" --ca-key "$work/pki/ca.key" --server --subject "CN=localhost" --san localhost,mtls.localhost,127.0.0.1 --out "$work/pki/server" >/dev/null
gh pki issue --ca "$work/pki/ca.pem" --ca-key "$work/pki/ca.key" --client --subject "CN=bench-gateway" --out "$work/pki/gwclient" >/dev/null
gh pki issue --ca "$work/pki/ca.pem" --ca-key "$work/pki/ca.key" --client --subject "CN=clinic-app,O=Contoso,C=US" --out "$work/pki/client" >/dev/null
thumb=$(gh pki inspect "$work/pki/client.pem" | awk '/^Thumbprint:/ {print $2; exit}')
head -c 65536 /dev/zero | tr '\0' 'x' > "$work/www/64k"
head -c 1048576 /dev/zero | tr '\0' 'y' > "$work/upload.bin"
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
local f = io.open("$work/upload.bin", "rb"); wrk.body = f:read("*all"); f:close()
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

body=$(head -c 200 /dev/zero | tr '\0' 'x')
cat > "$work/be/nginx.conf" <<CONF
worker_processes 1;
pid $work/be/nginx.pid;
error_log $work/be/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_max_body_size 4m;
  client_body_buffer_size 2m;
  client_body_temp_path $work/be/tmp;
  server {
    listen 127.0.0.1:19443 ssl;
    ssl_certificate $work/pki/server.pem;
    ssl_certificate_key $work/pki/server.key;
    ssl_client_certificate $work/pki/ca.pem;
    ssl_verify_client on;
    location /64k { alias $work/www/64k; default_type application/octet-stream; }
    location /upload { return 200 'ok'; }
    location / { default_type text/plain; return 200 '$body'; }
  }
}
CONF
proxy_block() { cat <<CONF
    location /patients/ {
      proxy_pass https://backend/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host localhost;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      proxy_request_buffering off;
      proxy_buffering off;
      client_max_body_size 4m;
      proxy_ssl_certificate $work/pki/gwclient.pem;
      proxy_ssl_certificate_key $work/pki/gwclient.key;
      proxy_ssl_trusted_certificate $work/pki/ca.pem;
      proxy_ssl_verify on;
      proxy_ssl_name localhost;
      proxy_ssl_server_name on;
      proxy_ssl_session_reuse on;
    }
CONF
}
cat > "$work/ref/nginx.conf" <<CONF
worker_processes auto;
pid $work/ref/nginx.pid;
error_log $work/ref/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/ref/tmp;
  upstream backend { server 127.0.0.1:19443; keepalive 64; }
  server {
    listen 127.0.0.1:18443 ssl http2;
    ssl_certificate $work/pki/server.pem;
    ssl_certificate_key $work/pki/server.key;
$(proxy_block)
  }
  server {
    listen 127.0.0.1:18444 ssl;
    ssl_certificate $work/pki/server.pem;
    ssl_certificate_key $work/pki/server.key;
    ssl_client_certificate $work/pki/ca.pem;
    ssl_verify_client on;
    ssl_session_cache off;
    ssl_session_tickets off;
$(proxy_block)
  }
}
CONF
# HAProxy for the reference's job (ports 16443 and 16444 as nginx's 18443 and 18444). Each
# certificate file holds the certificate and its key, as HAProxy's crt reads them.
cat "$work/pki/server.pem" "$work/pki/server.key" > "$work/ha/server.pem"
cat "$work/pki/gwclient.pem" "$work/pki/gwclient.key" > "$work/ha/gwclient.pem"
cat > "$work/ha/haproxy.cfg" <<CONF
global
  daemon
  pidfile $work/ha/haproxy.pid
  # two threads on the two cores, as the reference's two nginx workers (worker_processes auto)
  nbthread 2
  # nginx: 4096 worker_connections per worker; scenario 6 holds 1,000 client connections
  maxconn 4096
  # no server-side session cache, as nginx's default ssl_session_cache none (18443) and its
  # off (18444); TLS tickets stay on where nginx's do (its default), off on the mTLS port
  tune.ssl.cachesize 0
  tune.ssl.default-dh-param 2048
  # TLS 1.2 in, as the reference: nginx 1.22's default ssl_protocols stop at TLSv1.2 (TLSv1.3
  # joined them in 1.23.4), and its config does not name any
  ssl-default-bind-options ssl-max-ver TLSv1.2
  # no log lines anywhere: logs off, as the reference's access_log off

defaults
  mode http
  option http-keep-alive
  # no limit on requests per client connection (HAProxy 2.6 has none to set): at least the
  # reference's keepalive_requests 1000000
  timeout connect 10s
  timeout client 75s
  timeout server 75s
  timeout http-request 60s
  timeout http-keep-alive 75s

# nginx's /patients/ location: /patients/X goes to the backend as /X; anything else is a 404
# (nginx has no other location); bodies up to 4 MB (client_max_body_size 4m), streamed both
# ways (HAProxy does not buffer whole bodies, as proxy_request_buffering and proxy_buffering off)
frontend tls
  bind 127.0.0.1:16443 ssl crt $work/ha/server.pem alpn h2,http/1.1
  http-request deny deny_status 404 unless { path_beg /patients/ }
  default_backend patients

frontend mtls
  bind 127.0.0.1:16444 ssl crt $work/ha/server.pem ca-file $work/pki/ca.pem verify required no-tls-tickets alpn http/1.1
  http-request deny deny_status 404 unless { path_beg /patients/ }
  default_backend patients

backend patients
  http-request deny deny_status 413 if { req.hdr_val(content-length) gt 4194304 }
  http-request replace-path ^/patients(/.*) \1
  http-request set-header Host localhost
  http-request set-header X-Forwarded-Proto https
  option forwardfor
  # any idle backend connection serves any request, as nginx's upstream keepalive; up to 128 kept
  # idle (nginx: keepalive 64 in each of its two workers); no cap on connections in use
  http-reuse always
  server backend 127.0.0.1:19443 ssl crt $work/ha/gwclient.pem ca-file $work/pki/ca.pem verify required sni str(localhost) verifyhost localhost maxconn 4096 pool-max-conn 128
CONF
"$HAPROXY" -c -q -f "$work/ha/haproxy.cfg" || { echo "bench: HAProxy rejects $work/ha/haproxy.cfg:"; "$HAPROXY" -c -f "$work/ha/haproxy.cfg" 2>&1 | sed 's/^/  /'; exit 1; }
# the guide's inbound policy as users paste it (examples/guide-inbound-policy.xml), for this run's client and CA
sed -e "s/YOUR_CERT_THUMBPRINT_HERE/$thumb/" -e "s/CN=YourCA, O=YourOrg, C=US/CN=Bench CA/" \
  "$here/examples/guide-inbound-policy.xml" > "$work/guide.xml"
grep -q "$thumb" "$work/guide.xml" || { echo "bench: the guide's policy did not take the client's thumbprint"; exit 1; }
# the same policy with the two values as named values (scenario 4n)
sed -e "s/YOUR_CERT_THUMBPRINT_HERE/{{client-thumbprint}}/" -e "s/CN=YourCA, O=YourOrg, C=US/{{ca-issuer}}/" \
  "$here/examples/guide-inbound-policy.xml" > "$work/guide-nv.xml"
grep -q "{{client-thumbprint}}" "$work/guide-nv.xml" || { echo "bench: guide-nv.xml did not get its named value"; exit 1; }
# scenario 7v: an OpenAPI document with a realistic order schema, the validate-content policy, and
# a 2 KB order that conforms to it (wrk posts it; a 400 would count as an error)
cat > "$work/orders.openapi.json" <<'JSON'
{
  "openapi": "3.0.3",
  "info": {"title": "Orders", "version": "1.0"},
  "paths": {
    "/orders": {
      "post": {
        "operationId": "createOrder",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
        "responses": {"200": {"description": "accepted"}}
      }
    }
  },
  "components": {
    "schemas": {
      "Order": {
        "type": "object", "additionalProperties": false,
        "required": ["id", "createdAt", "status", "customer", "shipping", "lines", "currency"],
        "properties": {
          "id": {"type": "string", "format": "uuid"},
          "createdAt": {"type": "string", "format": "date-time"},
          "status": {"type": "string", "enum": ["draft", "placed", "paid", "shipped", "cancelled"]},
          "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
          "note": {"type": "string", "maxLength": 500, "nullable": true},
          "customer": {"$ref": "#/components/schemas/Customer"},
          "shipping": {"$ref": "#/components/schemas/Address"},
          "billing": {"$ref": "#/components/schemas/Address"},
          "lines": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"$ref": "#/components/schemas/Line"}},
          "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}, "uniqueItems": true}
        }
      },
      "Customer": {
        "type": "object", "required": ["id", "email", "name"],
        "properties": {
          "id": {"type": "integer", "minimum": 1},
          "email": {"type": "string", "format": "email"},
          "name": {"type": "string", "minLength": 1, "maxLength": 100},
          "phone": {"type": "string", "pattern": "^\\+?[0-9 ]{6,20}$"},
          "tier": {"type": "string", "enum": ["standard", "silver", "gold"]}
        }
      },
      "Address": {
        "type": "object", "required": ["line1", "city", "postcode", "country"],
        "properties": {
          "line1": {"type": "string", "maxLength": 100},
          "line2": {"type": "string", "maxLength": 100},
          "city": {"type": "string", "maxLength": 60},
          "postcode": {"type": "string", "maxLength": 12},
          "country": {"type": "string", "pattern": "^[A-Z]{2}$"}
        }
      },
      "Line": {
        "type": "object", "required": ["sku", "quantity", "unitPrice"],
        "properties": {
          "sku": {"type": "string", "pattern": "^[A-Z0-9-]{4,20}$"},
          "description": {"type": "string", "maxLength": 200},
          "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
          "unitPrice": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
          "discount": {"type": "number", "minimum": 0, "maximum": 1},
          "options": {"type": "object", "additionalProperties": {"type": "string"}}
        }
      }
    }
  }
}
JSON
cat > "$work/validate-orders.xml" <<'XML'
<policies>
  <inbound>
    <base />
    <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent" errors-variable-name="orderErrors">
      <content type="application/json" validate-as="json" action="prevent" />
    </validate-content>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>
XML
# scenario 7: a limit no run reaches, counted per client address (in process, or in Redis)
cat > "$work/limited.xml" <<'XML'
<policies>
  <inbound>
    <base />
    <rate-limit-by-key calls="1000000000" renewal-period="60" counter-key="@(context.Request.IpAddress)" />
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>
XML
lines=""
for i in 1 2 3 4 5 6 7 8; do
  lines="$lines${lines:+,}{\"sku\": \"SKU-00$i-AB\", \"description\": \"Line item number $i of the benchmark order, a reasonably sized text\", \"quantity\": $i, \"unitPrice\": 19.9$i, \"discount\": 0.1, \"options\": {\"colour\": \"blue\", \"size\": \"M\"}}"
done
cat > "$work/order.json" <<JSON
{"id": "5f0c8a52-2b6f-4a53-9f0e-7c1d2a3b4c5d", "createdAt": "2026-12-07T18:00:00Z", "status": "placed", "currency": "EUR",
 "note": "Leave at the door, please.",
 "customer": {"id": 4711, "email": "jane.doe@example.com", "name": "Jane Doe", "phone": "+44 20 7946 0000", "tier": "gold"},
 "shipping": {"line1": "1 Example Street", "line2": "Flat 2", "city": "London", "postcode": "SW1A 1AA", "country": "GB"},
 "billing": {"line1": "1 Example Street", "city": "London", "postcode": "SW1A 1AA", "country": "GB"},
 "lines": [$lines],
 "tags": ["priority", "gift"]}
JSON
cat > "$work/order.lua" <<LUA
wrk.method = "POST"
local f = io.open("$work/order.json", "rb"); wrk.body = f:read("*all"); f:close()
wrk.headers["Content-Type"] = "application/json"
LUA
cat > "$work/gatehouse.yaml" <<CONF
gateway:
  listeners:
    - port: 17443
      bind: 127.0.0.1
  limits:
    maxRequestsPerConnection: 1000000   # as the reference nginx's keepalive_requests: the same job
  accessLog:
    format: off   # nginx and HAProxy log nothing here either; scenario 1l measures the access log
hostnames:
  - hostName: localhost
    certificateId: tls
    defaultSslBinding: true
  - hostName: mtls.localhost
    certificateId: tls
    clientCertificateMode: require-and-verify
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
  - id: guide
    path: guide
    backendId: backend
    policy: guide.xml
  - id: guide-nv
    path: guide-nv
    backendId: backend
    policy: guide-nv.xml
  - id: orders-validated
    path: orders-v
    backendId: backend
    openApi: orders.openapi.json
    policy: validate-orders.xml
  - id: orders
    path: orders-nv
    backendId: backend
    openApi: orders.openapi.json
  - id: limited
    path: limited
    backendId: backend
    policy: limited.xml
namedValues:
  - name: client-thumbprint
    value: "$thumb"
  - name: ca-issuer
    value: CN=Bench CA
CONF
mkdir -p "$work/be/tmp" "$work/ref/tmp"
"$NGINX" -p "$work/be" -c "$work/be/nginx.conf"
"$NGINX" -p "$work/ref" -c "$work/ref/nginx.conf"
"$HAPROXY" -f "$work/ha/haproxy.cfg" || { echo "bench: HAProxy did not start"; exit 1; }
"$here/gatehouse" run -c "$work/gatehouse.yaml" --no-watch > "$work/gatehouse.log" 2>&1 &
gh_pid=$!   # the launcher execs java, so this is the gateway itself
for i in $(seq 1 150); do curl -sk -o /dev/null https://127.0.0.1:17443/patients/1 && break; sleep 0.2; done
if want 3h; then
  # a SoftHSM2 token of the run's own, holding the server key (and its certificate, through which
  # SunPKCS11 finds the key); the second gateway is the first one's config with that key
  mkdir -p "$work/hsm/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/hsm/tokens" > "$work/hsm/softhsm2.conf"
  export SOFTHSM2_CONF="$work/hsm/softhsm2.conf"
  token_pin=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  softhsm2-util --init-token --free --label gatehouse-bench --pin "$token_pin" --so-pin "$token_pin" >/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$work/pki/server.key" -out "$work/hsm/server.p8"
  softhsm2-util --import "$work/hsm/server.p8" --token gatehouse-bench --label tls --id 01 --pin "$token_pin" >/dev/null
  rm -f "$work/hsm/server.p8"
  openssl x509 -in "$work/pki/server.pem" -outform DER -out "$work/hsm/server.der"
  pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label gatehouse-bench --login --pin "$token_pin" \
    --write-object "$work/hsm/server.der" --type cert --id 01 --label tls >/dev/null
  awk -v lib=/usr/lib/softhsm/libsofthsm2.so '
    /- port: 17443/ { sub(/17443/, "17445") }
    /^  - id: tls$/ { print; print "    pkcs11:"; print "      library: " lib; print "      tokenLabel: gatehouse-bench"
                      print "      keyLabel: tls"; print "      pin: ${env:BENCH_TOKEN_PIN}"; skip = 1; next }
    skip && /keyFile:/ { skip = 0; next }
    { print }' "$work/gatehouse.yaml" > "$work/gatehouse-token.yaml"
  BENCH_TOKEN_PIN="$token_pin" "$here/gatehouse" run -c "$work/gatehouse-token.yaml" --no-watch > "$work/gatehouse-token.log" 2>&1 &
  ght_pid=$!
  url=https://mtls.localhost:17445/patients/1; mt=(--resolve "mtls.localhost:17445:127.0.0.1" --cacert "$work/pki/ca.pem")
  for i in $(seq 1 150); do curl -s -o /dev/null "${mt[@]}" --cert "$work/pki/client.pem" --key "$work/pki/client.key" "$url" && break; sleep 0.2; done
  got=$(curl -s "${mt[@]}" --cert "$work/pki/client.pem" --key "$work/pki/client.key" "$url" || true)
  [ "$got" = "$body" ] || { echo "bench: $url (server key on the token) answered '$got'"; cat "$work/gatehouse-token.log"; exit 1; }
fi
red_pid=""
redis_pid=""
if want 7; then
  # a redis-server of the run's own (nothing saved), with a password, and a second gateway whose
  # rate-limit-by-key counts there: the first one's config with gateway.externalCache
  mkdir -p "$work/redis"
  redis_password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  redis-server --port 16379 --bind 127.0.0.1 --dir "$work/redis" --save '' --appendonly no \
    --requirepass "$redis_password" > "$work/redis/redis.log" 2>&1 &
  redis_pid=$!
  awk '
    /- port: 17443/ { sub(/17443/, "17447") }
    /^    format: off/ { print; print "  externalCache:"; print "    connectionString: redis://127.0.0.1:16379"
                         print "    password: ${env:BENCH_REDIS_PASSWORD}"; next }
    { print }' "$work/gatehouse.yaml" > "$work/gatehouse-redis.yaml"
  grep -q "connectionString: redis://127.0.0.1:16379" "$work/gatehouse-redis.yaml" || { echo "bench: gatehouse-redis.yaml did not get its external cache"; exit 1; }
  BENCH_REDIS_PASSWORD="$redis_password" "$here/gatehouse" run -c "$work/gatehouse-redis.yaml" --no-watch > "$work/gatehouse-redis.log" 2>&1 &
  red_pid=$!
  for i in $(seq 1 150); do curl -sk -o /dev/null https://127.0.0.1:17447/limited/1 && break; sleep 0.2; done
  got=$(curl -sk https://127.0.0.1:17447/limited/1 || true)
  [ "$got" = "$body" ] || { echo "bench: the Redis gateway answered '$got'"; cat "$work/gatehouse-redis.log"; exit 1; }
  grep -q "external cache redis://127.0.0.1:16379: connected" "$work/gatehouse-redis.log" || { echo "bench: the Redis gateway did not connect to Redis"; cat "$work/gatehouse-redis.log"; exit 1; }
fi
acc_pid=""
if want 1l; then
  # the same gateway with the access log on: JSON lines to a file, as an operator would run it
  sed -e 's/- port: 17443/- port: 17446/' -e "s#^    format: off .*#    file: $work/access.log#" \
    "$work/gatehouse.yaml" > "$work/gatehouse-accesslog.yaml"
  grep -q "file: $work/access.log" "$work/gatehouse-accesslog.yaml" || { echo "bench: gatehouse-accesslog.yaml did not get its access log"; exit 1; }
  "$here/gatehouse" run -c "$work/gatehouse-accesslog.yaml" --no-watch > "$work/gatehouse-accesslog.log" 2>&1 &
  acc_pid=$!
  for i in $(seq 1 150); do curl -sk -o /dev/null https://127.0.0.1:17446/patients/1 && break; sleep 0.2; done
  got=$(curl -sk https://127.0.0.1:17446/patients/1 || true)
  [ "$got" = "$body" ] || { echo "bench: the access-log gateway answered '$got'"; cat "$work/gatehouse-accesslog.log"; exit 1; }
  for i in $(seq 1 50); do [ -s "$work/access.log" ] && break; sleep 0.1; done
  grep -q '"status":200' "$work/access.log" || { echo "bench: the access-log gateway wrote no line"; cat "$work/gatehouse-accesslog.log"; exit 1; }
fi
# scenario 3r: a client certificate naming a CRL distribution point and an OCSP responder of this
# run (the bench CA signs it with openssl ca, which also keeps the index openssl ocsp answers
# from, and makes the CRL), and a second Gatehouse like the first but with revocation hard-fail
rev_pid=""; rev_aux=()
if want 3r; then
  mkdir -p "$work/rev/www"; : > "$work/rev/index.txt"; echo 1000 > "$work/rev/serial"; echo 1000 > "$work/rev/crlnumber"
  crl_port=17481; ocsp_port=17482
  cat > "$work/rev/ca.cnf" <<CNF
[ ca ]
default_ca = bench
[ bench ]
database = $work/rev/index.txt
new_certs_dir = $work/rev
certificate = $work/pki/ca.pem
private_key = $work/pki/ca.key
serial = $work/rev/serial
crlnumber = $work/rev/crlnumber
default_md = sha256
default_days = 30
default_crl_days = 1
policy = anything
unique_subject = no
[ anything ]
commonName = supplied
organizationName = optional
countryName = optional
[ client_rev ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
crlDistributionPoints = URI:http://127.0.0.1:$crl_port/bench-ca.crl
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$ocsp_port/
CNF
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/rev/client.key" \
    -out "$work/rev/client.csr" -subj "/CN=clinic-app-rev/O=Contoso/C=US" 2>/dev/null
  openssl ca -batch -config "$work/rev/ca.cnf" -extensions client_rev -notext -in "$work/rev/client.csr" \
    -out "$work/rev/client.pem" 2>/dev/null
  openssl ca -batch -config "$work/rev/ca.cnf" -gencrl -out "$work/rev/ca-crl.pem" 2>/dev/null
  openssl crl -in "$work/rev/ca-crl.pem" -outform DER -out "$work/rev/www/bench-ca.crl"
  python3 -m http.server "$crl_port" --bind 127.0.0.1 --directory "$work/rev/www" > "$work/rev/http.log" 2>&1 &
  rev_aux+=($!)
  (cd "$work/rev" && exec openssl ocsp -index index.txt -port "$ocsp_port" -rsigner "$work/pki/ca.pem" \
    -rkey "$work/pki/ca.key" -CA "$work/pki/ca.pem" -nmin 60 -ignore_err > "$work/rev/ocsp.log" 2>&1) &
  rev_aux+=($!)
  # the backend's certificate names no source: it keeps scenario 3's soft-fail (tls.revocation)
  sed -e 's/- port: 17443/- port: 17444/' -e 's/^gateway:$/gateway:\n  revocation:\n    mode: hard-fail/' \
    -e 's/^      trustedCaCertificateIds: \[ca\]$/      trustedCaCertificateIds: [ca]\n      revocation: soft-fail/' \
    "$work/gatehouse.yaml" > "$work/gatehouse-rev.yaml"
  grep -q 'mode: hard-fail' "$work/gatehouse-rev.yaml" && grep -q 'revocation: soft-fail' "$work/gatehouse-rev.yaml" \
    || { echo "bench: gatehouse-rev.yaml did not get its revocation settings"; exit 1; }
  "$here/gatehouse" run -c "$work/gatehouse-rev.yaml" --no-watch > "$work/gatehouse-rev.log" 2>&1 &
  rev_pid=$!
  for i in $(seq 1 150); do curl -sk -o /dev/null https://127.0.0.1:17444/patients/1 && break; sleep 0.2; done
  mt=(--resolve "mtls.localhost:17444:127.0.0.1" --cacert "$work/pki/ca.pem")
  got=$(curl -s "${mt[@]}" --cert "$work/rev/client.pem" --key "$work/rev/client.key" https://mtls.localhost:17444/patients/1 || true)
  [ "$got" = "$body" ] || { echo "bench: the hard-fail gateway answered '$got' for the revocable client"; cat "$work/gatehouse-rev.log"; exit 1; }
  # and it does check: the bench's client certificate names no source, so hard-fail refuses it
  code=$(curl -s -o /dev/null -w '%{http_code}' "${mt[@]}" --cert "$work/pki/client.pem" --key "$work/pki/client.key" https://mtls.localhost:17444/patients/1 || true)
  [ "$code" != 200 ] || { echo "bench: the hard-fail gateway accepted a client certificate without revocation sources"; exit 1; }
  grep -q 'Received request' "$work/rev/ocsp.log" || { echo "bench: the hard-fail gateway did not ask openssl ocsp"; cat "$work/rev/ocsp.log"; exit 1; }
  [ -s "$work/rev/http.log" ] || { echo "bench: nothing was downloaded from the CRL server"; exit 1; }
fi
for url in https://127.0.0.1:17443/patients/1 https://127.0.0.1:18443/patients/1 https://127.0.0.1:16443/patients/1; do
  got=$(curl -sk "$url"); [ "$got" = "$body" ] || { echo "bench: $url answered '$got'"; cat "$work/gatehouse.log"; exit 1; }
done
for port in 18444 16444; do   # the mTLS ports answer with the client certificate, and refuse without it
  url=https://mtls.localhost:$port/patients/1; mt=(--resolve "mtls.localhost:$port:127.0.0.1" --cacert "$work/pki/ca.pem")
  got=$(curl -s "${mt[@]}" --cert "$work/pki/client.pem" --key "$work/pki/client.key" "$url" || true); [ "$got" = "$body" ] || { echo "bench: $url answered '$got'"; exit 1; }
  code=$(curl -s -o /dev/null -w '%{http_code}' "${mt[@]}" "$url" || true)
  [ "$code" != 200 ] || { echo "bench: $url answered 200 without a client certificate"; exit 1; }
done
ref_pids() { local m; m=$(cat "$work/ref/nginx.pid"); echo "$m $(pgrep -P "$m" | tr '\n' ' ')"; }
ha_pids() { local m; m=$(cat "$work/ha/haproxy.pid"); echo "$m $(pgrep -P "$m" | tr '\n' ' ')"; }   # one process, two threads
cpu_ticks() { local t=0; for p in $1; do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
# pids [field]: the processes' summed memory in MB, their peak (VmHWM) unless another field is named
rss_mb() { local m=0; for p in $1; do [ -r /proc/$p/status ] && m=$((m + $(awk -v f="${2:-VmHWM}:" '$1 == f {print $2}' /proc/$p/status))); done; echo $((m / 1024)); }
hz=$(getconf CLK_TCK)

LG=("$JAVA" -cp "$BENCH_JAR" io.gatehouse.bench.LoadGenerator)
# warm-up of what the selected scenarios use, on both sides, so that a selection measures a warm
# gateway as a full run does: the JIT compiles the hot paths over the first 20-30 s under load
# (its compiler threads' CPU counts as Gatehouse's), and a gateway runs for days
warm=${BENCH_WARMUP:-20}
if want 1 || want 2a || want 2b || want 5; then
  wrk -t2 -c"$conns" -d"${warm}s" https://127.0.0.1:17443/patients/1 >/dev/null
  wrk -t2 -c"$conns" -d3s https://127.0.0.1:18443/patients/1 >/dev/null
  wrk -t2 -c"$conns" -d3s https://127.0.0.1:16443/patients/1 >/dev/null
fi
if want 1l; then
  want 1 || wrk -t2 -c"$conns" -d"${warm}s" https://127.0.0.1:17443/patients/1 >/dev/null
  wrk -t2 -c"$conns" -d"${warm}s" https://127.0.0.1:17446/patients/1 >/dev/null
fi
if want 7; then
  wrk -t2 -c"$conns" -d"${warm}s" https://127.0.0.1:17443/limited/1 >/dev/null
  wrk -t2 -c"$conns" -d"${warm}s" https://127.0.0.1:17447/limited/1 >/dev/null
fi
if want 2a || want 2b; then
  wrk -t2 -c"$conns" -d"${warm}s" https://127.0.0.1:17443/patients/64k >/dev/null
  wrk -t2 -c"$conns" -d"${warm}s" -s "$work/post.lua" https://127.0.0.1:17443/patients/upload >/dev/null
fi
if want 3; then
  "${LG[@]}" https://mtls.localhost:17443/patients/1 "$warm" "$conns" new "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key" >/dev/null 2>&1
  "${LG[@]}" https://mtls.localhost:18444/patients/1 3 "$conns" new "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key" >/dev/null 2>&1
  "${LG[@]}" https://mtls.localhost:16444/patients/1 3 "$conns" new "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key" >/dev/null 2>&1
fi
if want 3h; then
  want 3 || "${LG[@]}" https://mtls.localhost:17443/patients/1 "$warm" "$conns" new "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key" >/dev/null 2>&1
  "${LG[@]}" https://mtls.localhost:17445/patients/1 "$warm" "$conns" new "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key" >/dev/null 2>&1
fi
if want 3r; then
  "${LG[@]}" https://mtls.localhost:17444/patients/1 "$warm" "$conns" new "$work/pki/ca.pem" "$work/rev/client.pem" "$work/rev/client.key" >/dev/null 2>&1
fi
if want 4; then
  "${LG[@]}" https://mtls.localhost:17443/guide/1 "$warm" "$conns" keepalive "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key" >/dev/null 2>&1
  "${LG[@]}" https://mtls.localhost:17443/patients/1 "$warm" "$conns" keepalive "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key" >/dev/null 2>&1
fi
if want 4n; then
  "${LG[@]}" https://mtls.localhost:17443/guide-nv/1 "$warm" "$conns" keepalive "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key" >/dev/null 2>&1
  want 4 || "${LG[@]}" https://mtls.localhost:17443/guide/1 "$warm" "$conns" keepalive "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key" >/dev/null 2>&1
fi
if want 7v; then
  wrk -t2 -c"$conns" -d"${warm}s" -s "$work/order.lua" https://127.0.0.1:17443/orders-v/orders >/dev/null
  wrk -t2 -c"$conns" -d"${warm}s" -s "$work/order.lua" https://127.0.0.1:17443/orders-nv/orders >/dev/null
fi
if want 5; then
  h2load -D "$warm" -c "$conns" -m 10 -t 2 https://127.0.0.1:17443/patients/1 >/dev/null
fi

results="$work/results.tsv"
: > "$results"
# one line of the table (scenario proxy req/s p50 p99 p99.9 cpu us/req rss errors), and its
# scenario, proxy, req/s and us/req in the results file the summary reads
row() {
  printf '%-26s %-10s %10s %9s %9s %9s %7s %7s %7s %6s\n' "$@"
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$r" "$8" >> "$results"
}
kv() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2; exit}'; } # a key=value from the load generator
measure() { # scenario proxy pids command...
  local scen=$1 name=$2 pids=$3; shift 3
  local secs_run=$secs
  local c0; c0=$(cpu_ticks "$pids")
  local out; out=$("$@" 2>&1 || true)
  local c1; c1=$(cpu_ticks "$pids")
  local cpu; cpu=$(echo "scale=1; ($c1 - $c0) / $hz" | bc)
  local rps p50 p99 p999 errs
  case "$1" in
    wrk) rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
         p50=$(echo "$out" | awk '$1=="50%" {print $2}'); p99=$(echo "$out" | awk '$1=="99%" {print $2}'); p999="-"
         errs=$(echo "$out" | awk '/Non-2xx/ {n+=$5} /Socket errors/ {gsub(",",""); n+=$4+$6+$8+$10} END {print n+0}') ;;
    h2load) rps=$(echo "$out" | awk '/^finished in/ {print $4}')
         p50="-"; p99="-"; p999="-"
         errs=$(echo "$out" | awk '/^requests:/ {print $10+$12}') ;;
    *) rps=$(kv "$out" rps); p50=$(kv "$out" p50_ms)ms; p99=$(kv "$out" p99_ms)ms; p999=$(kv "$out" p999_ms)ms
       errs=$(kv "$out" errors) ;;
  esac
  local usreq="-"
  if [ -n "${rps:-}" ] && [ "$(echo "$rps > 0" | bc)" = 1 ]; then usreq=$(echo "scale=1; ($c1 - $c0) * 1000000 / $hz / ($rps * $secs_run)" | bc); fi
  row "$scen" "$name" "${rps:-?}" "${p50:-?}" "${p99:-?}" "${p999:-?}" "$cpu" "$usreq" "$(rss_mb "$pids")" "${errs:-?}"
}
ratio() { # scenario a b [label]: means, and the median over rounds of each round's a/b ratio (rps and CPU per request)
  awk -F'\t' -v s="$1" -v a="$2" -v b="$3" -v label="${4:-}" '
    $1==s && $2==a {x[$4]=$3; cx[$4]=$5; sx+=$3; nx++} $1==s && $2==b {y[$4]=$3; cy[$4]=$5; sy+=$3; ny++}
    function median(v, n,   i, j, t) { for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j > 0 && v[j] > t; j--) v[j+1] = v[j]; v[j+1] = t }
      return n % 2 ? v[(n+1)/2] : (v[n/2] + v[n/2+1]) / 2 }
    END { if (!nx || !ny) exit; n = 0; m = 0
      for (r in x) if (r in y && y[r] > 0) { q[++n] = x[r] / y[r]; if (cx[r] != "-" && cy[r] != "-" && cy[r] > 0) c[++m] = cx[r] / cy[r] }
      if (label == "") printf "  %s: %s %.0f req/s, %s %.0f req/s; per round, median ratio %.2f (%d rounds), CPU per request %.2f\n", s, a, sx/nx, b, sy/ny, median(q, n), n, m ? median(c, m) : 0
      else printf "  %s: %.0f req/s with it, %.0f without; per round, median cost %.1f%% of the throughput (%d rounds: %s)\n", label, sx/nx, sy/ny, 100 * (1 - median(q, n)), n, rounds(x, y) }
    function rounds(x, y,   r, s) { s = ""; for (r = 1; r in x; r++) s = s (s == "" ? "" : ", ") sprintf("%.1f%%", 100 * (1 - x[r] / y[r])); return s }' "$results"
}
ratio3() { # scenario: Gatehouse against nginx, against HAProxy, and against the better of the two in each round
  awk -F'\t' -v s="$1" '
    $1==s { v[$2, $4] = $3; c[$2, $4] = $5; sum[$2] += $3; cnt[$2]++; if ($4 > last) last = $4 }
    function median(v, n,   i, j, t) { for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j > 0 && v[j] > t; j--) v[j+1] = v[j]; v[j+1] = t }
      return n % 2 ? v[(n+1)/2] : (v[n/2] + v[n/2+1]) / 2 }
    function med(a, n) { return n ? sprintf("%.2f", median(a, n)) : "-" }
    END { if (!cnt["gatehouse"] || (!cnt["nginx"] && !cnt["haproxy"])) exit
      nn = nh = nb = cn = ch = 0
      for (r = 1; r <= last; r++) {
        if (!(("gatehouse", r) in v)) continue; g = v["gatehouse", r]; cg = c["gatehouse", r]; best = 0
        if (("nginx", r) in v && v["nginx", r] > 0) { qn[++nn] = g / v["nginx", r]; best = v["nginx", r]
          if (cg != "-" && c["nginx", r] != "-" && c["nginx", r] > 0) pn[++cn] = cg / c["nginx", r] }
        if (("haproxy", r) in v && v["haproxy", r] > 0) { qh[++nh] = g / v["haproxy", r]; if (v["haproxy", r] > best) best = v["haproxy", r]
          if (cg != "-" && c["haproxy", r] != "-" && c["haproxy", r] > 0) ph[++ch] = cg / c["haproxy", r] }
        if (("nginx", r) in v && ("haproxy", r) in v && best > 0) qb[++nb] = g / best }
      printf "  %s: gatehouse %.0f req/s, nginx %.0f, haproxy %.0f (%d rounds)\n", s, sum["gatehouse"] / cnt["gatehouse"],
        cnt["nginx"] ? sum["nginx"] / cnt["nginx"] : 0, cnt["haproxy"] ? sum["haproxy"] / cnt["haproxy"] : 0, (nn > nh ? nn : nh)
      printf "      Gatehouse/nginx %s (CPU %s), Gatehouse/HAProxy %s (CPU %s), Gatehouse/the better of the two %s\n",
        med(qn, nn), med(pn, cn), med(qh, nh), med(ph, ch), med(qb, nb) }' "$results"
}
echo
echo "$(date -u +%FT%TZ) $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $secs s per run, $conns connections, $rounds rounds"
printf '%-26s %-10s %10s %9s %9s %9s %7s %7s %7s %6s\n' scenario proxy "req/s" p50 p99 p99.9 "cpu s" "us/req" "rss MB" errors
# each scenario's sides: A Gatehouse, B nginx, C HAProxy; round r starts at the ((r - 1) mod 3)th
# of A B C and goes round (A B C, B C A, C A B, A B C, ...)
s1_a() { measure "1 keep-alive 200B" gatehouse "$gh_pid" wrk -t2 -c"$conns" -d"${secs}s" --latency https://127.0.0.1:17443/patients/1; }
s1_b() { measure "1 keep-alive 200B" nginx "$(ref_pids)" wrk -t2 -c"$conns" -d"${secs}s" --latency https://127.0.0.1:18443/patients/1; }
s1_c() { measure "1 keep-alive 200B" haproxy "$(ha_pids)" wrk -t2 -c"$conns" -d"${secs}s" --latency https://127.0.0.1:16443/patients/1; }
# scenario 1l: the gateway without an access log and the one with it, one after the other, the
# access log first in odd rounds
s1l_off() { measure "1l keep-alive, access log" gatehouse "$gh_pid" wrk -t2 -c"$conns" -d"${secs}s" --latency https://127.0.0.1:17443/patients/1; }
s1l_on() { measure "1l keep-alive, access log" gh-accesslog "$acc_pid" wrk -t2 -c"$conns" -d"${secs}s" --latency https://127.0.0.1:17446/patients/1; }
s1l() { if [ $((r % 2)) = 1 ]; then s1l_on; s1l_off; else s1l_off; s1l_on; fi; }
s2a_a() { measure "2a keep-alive 64KB" gatehouse "$gh_pid" wrk -t2 -c"$conns" -d"${secs}s" --latency https://127.0.0.1:17443/patients/64k; }
s2a_b() { measure "2a keep-alive 64KB" nginx "$(ref_pids)" wrk -t2 -c"$conns" -d"${secs}s" --latency https://127.0.0.1:18443/patients/64k; }
s2a_c() { measure "2a keep-alive 64KB" haproxy "$(ha_pids)" wrk -t2 -c"$conns" -d"${secs}s" --latency https://127.0.0.1:16443/patients/64k; }
s2b_a() { measure "2b upload 1MB" gatehouse "$gh_pid" wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/post.lua" https://127.0.0.1:17443/patients/upload; }
s2b_b() { measure "2b upload 1MB" nginx "$(ref_pids)" wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/post.lua" https://127.0.0.1:18443/patients/upload; }
s2b_c() { measure "2b upload 1MB" haproxy "$(ha_pids)" wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/post.lua" https://127.0.0.1:16443/patients/upload; }
s3_a() { measure "3 new mTLS conn/request" gatehouse "$gh_pid" "${LG[@]}" https://mtls.localhost:17443/patients/1 "$secs" "$conns" new "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key"; }
s3_b() { measure "3 new mTLS conn/request" nginx "$(ref_pids)" "${LG[@]}" https://mtls.localhost:18444/patients/1 "$secs" "$conns" new "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key"; }
s3_c() { measure "3 new mTLS conn/request" haproxy "$(ha_pids)" "${LG[@]}" https://mtls.localhost:16444/patients/1 "$secs" "$conns" new "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key"; }
# scenario 3h: the file key (the gateway of the other scenarios) and the token key (the second
# gateway), one after the other, the token first in odd rounds
s3h_file() { measure "3h new conn, key file/token" gatehouse "$gh_pid" "${LG[@]}" https://mtls.localhost:17443/patients/1 "$secs" "$conns" new "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key"; }
s3h_token() { measure "3h new conn, key file/token" gh-token "$ght_pid" "${LG[@]}" https://mtls.localhost:17445/patients/1 "$secs" "$conns" new "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key"; }
s3h() { if [ $((r % 2)) = 1 ]; then s3h_token; s3h_file; else s3h_file; s3h_token; fi; }
s3r() { measure "3 new mTLS conn/request" gh-revocation "$rev_pid" "${LG[@]}" https://mtls.localhost:17444/patients/1 "$secs" "$conns" new "$work/pki/ca.pem" "$work/rev/client.pem" "$work/rev/client.key"; }
# scenario 4's two sides share one run: the load generator alternates between the two routes every
# half second on the same connections (A B B A, after 8 s to settle), so a drift in the machine's
# speed hits both alike; twice the seconds of the other scenarios, as the difference is small. The
# policy's route goes first in odd rounds, the plain one in even rounds.
s4() { alternating "4 client cert + policy" /guide/1 guide /patients/1 none; }
s4n() { alternating "4n guide policy, named values" /guide-nv/1 named /guide/1 literal; }
# one run alternating between two routes of the same gateway (scenario label, route A, side A,
# route B, side B); A goes first in odd rounds
alternating() {
  local label=$1 a=$2 aside=$3 b=$4 bside=$5
  local c0; c0=$(cpu_ticks "$gh_pid")
  local first=$a second=$b akey="" bkey=alternate_   # the load generator's keys of each side
  if [ $((r % 2)) = 0 ]; then first=$b; second=$a; akey=alternate_; bkey=""; fi
  local out; out=$("${LG[@]}" https://mtls.localhost:17443$first "$((2 * secs))" "$conns" alternate=$second \
    "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key" 2>&1 || true)
  local cpu; cpu=$(echo "scale=1; ($(cpu_ticks "$gh_pid") - $c0) / $hz" | bc)
  local side key
  for side in "$aside" "$bside"; do
    if [ "$side" = "$aside" ]; then key=$akey; else key=$bkey; fi
    row "$label" "$side" "$(kv "$out" ${key}rps)" "$(kv "$out" ${key}p50_ms)ms" \
      "$(kv "$out" ${key}p99_ms)ms" "$(kv "$out" ${key}p999_ms)ms" "$cpu" "-" "$(rss_mb "$gh_pid")" "$(kv "$out" errors)"
  done
}
# scenario 7: the limit in process (the gateway of the other scenarios) and in Redis (the second
# gateway), one after the other, Redis first in odd rounds; both count every call (no 429: the limit is 10^9)
s7_local() { measure "7 rate-limit-by-key" gatehouse "$gh_pid" wrk -t2 -c"$conns" -d"${secs}s" --latency https://127.0.0.1:17443/limited/1; }
s7_redis() { measure "7 rate-limit-by-key" gh-redis "$red_pid $redis_pid" wrk -t2 -c"$conns" -d"${secs}s" --latency https://127.0.0.1:17447/limited/1; }
s7() { if [ $((r % 2)) = 1 ]; then s7_redis; s7_local; else s7_local; s7_redis; fi; }
s5_a() { measure "5 HTTP/2 inbound" gatehouse "$gh_pid" h2load -D "$secs" -c "$conns" -m 10 -t 2 https://127.0.0.1:17443/patients/1; }
s6_a() { measure "6 1000 mTLS connections" gatehouse "$gh_pid" "${LG[@]}" https://mtls.localhost:17443/patients/64k "$secs" 1000 keepalive "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key"; }
s6_b() { measure "6 1000 mTLS connections" nginx "$(ref_pids)" "${LG[@]}" https://mtls.localhost:18444/patients/64k "$secs" 1000 keepalive "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key"; }
s6_c() { measure "6 1000 mTLS connections" haproxy "$(ha_pids)" "${LG[@]}" https://mtls.localhost:16444/patients/64k "$secs" 1000 keepalive "$work/pki/ca.pem" "$work/pki/client.pem" "$work/pki/client.key"; }
s5_b() { measure "5 HTTP/2 inbound" nginx "$(ref_pids)" h2load -D "$secs" -c "$conns" -m 10 -t 2 https://127.0.0.1:18443/patients/1; }
s5_c() { measure "5 HTTP/2 inbound" haproxy "$(ha_pids)" h2load -D "$secs" -c "$conns" -m 10 -t 2 https://127.0.0.1:16443/patients/1; }
# scenario 7v: the route with validate-content and the one without, one after the other, the
# policy first in odd rounds
s7v_on() { measure "7v 2KB JSON validate-content" validated "$gh_pid" wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/order.lua" https://127.0.0.1:17443/orders-v/orders; }
s7v_off() { measure "7v 2KB JSON validate-content" plain "$gh_pid" wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/order.lua" https://127.0.0.1:17443/orders-nv/orders; }
s7v() { if [ $((r % 2)) = 1 ]; then s7v_on; s7v_off; else s7v_off; s7v_on; fi; }
soak=${BENCH_SOAK:-}   # set: Gatehouse's side only, and its RSS after every round (a memory soak)
sides=abc
for r in $(seq 1 "$rounds"); do
  for sc in 1 1l 2a 2b 3 3h 3r 4 4n 5 6 7v 7; do
    want "$sc" || continue
    if [ "$sc" = 4 ]; then s4   # both of its sides are Gatehouse, in one run
    elif [ "$sc" = 7v ]; then s7v   # both of its sides are Gatehouse (validate-content, none)
    elif [ "$sc" = 4n ]; then s4n   # both of its sides are Gatehouse, in one run
    elif [ "$sc" = 1l ]; then s1l   # both of its sides are Gatehouse (access log off, on)
    elif [ "$sc" = 3h ]; then s3h   # both of its sides are Gatehouse (file key, token key)
    elif [ "$sc" = 3r ]; then s3r   # Gatehouse with revocation hard-fail only
    elif [ "$sc" = 7 ]; then s7   # both of its sides are Gatehouse (limit in process, in Redis)
    elif [ -n "$soak" ]; then "s${sc}_a"
    else for i in 0 1 2; do "s${sc}_${sides:$(( (r - 1 + i) % 3 )):1}"; done; fi
  done
  if [ -n "$soak" ]; then
    echo "soak: after round $r, Gatehouse RSS $(rss_mb "$gh_pid" VmRSS) MB, peak $(rss_mb "$gh_pid") MB"
  fi
done
echo
if [ -n "$soak" ]; then exit 0; fi
echo "mean requests/s, and the median over rounds of each round's ratio (CPU: of CPU microseconds per request):"
for s in "1 keep-alive 200B" "2a keep-alive 64KB" "2b upload 1MB" "3 new mTLS conn/request" "5 HTTP/2 inbound" "6 1000 mTLS connections"; do ratio3 "$s"; done
ratio "1l keep-alive, access log" gh-accesslog gatehouse "1l access log (JSON to a file) against none"
ratio "3h new conn, key file/token" gh-token gatehouse
ratio "3 new mTLS conn/request" gh-revocation gatehouse "3r revocation hard-fail (CRL and OCSP cached) against scenario 3"
ratio "4 client cert + policy" guide none "4 guide policy"
ratio "4n guide policy, named values" named literal "4n named values against the values written in"
ratio "7v 2KB JSON validate-content" validated plain "7v validate-content on a 2 KB JSON body against none"
ratio "7 rate-limit-by-key" gh-redis gatehouse "7 rate-limit-by-key in Redis against in process (CPU: the gateway and redis-server)"
[ -z "$ght_pid" ] || echo "  peak RSS of the gateway with the token key (3h): $(rss_mb "$ght_pid") MB"
echo "  peak RSS over the run: Gatehouse $(rss_mb "$gh_pid") MB, nginx (master and workers) $(rss_mb "$(ref_pids)") MB, HAProxy $(rss_mb "$(ha_pids)") MB"
