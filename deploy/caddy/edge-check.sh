#!/usr/bin/env bash
# Runs the shipped edge configuration (deploy/caddy/Caddyfile + conclave.caddy) with Caddy's
# internal CA on free loopback ports, with no network, and checks what a browser gets:
#
#   - over HTTPS: Strict-Transport-Security with max-age of at least one year, the
#     Content-Security-Policy, Referrer-Policy: no-referrer, X-Content-Type-Options: nosniff,
#     X-Frame-Options: DENY, no Server header, on the page and on an API route;
#   - the web app manifest as application/manifest+json and the service worker with
#     Cache-Control: no-cache, both allowed by the CSP (manifest-src, worker-src);
#   - over plain HTTP: a permanent redirect to the same URL over HTTPS.
#
# The Caddyfile is adapted by Caddy itself; only the listen ports are moved to free loopback
# ports and the local CA is told not to touch the system trust store. Needs caddy (scripts/
# install-tools.sh), curl and python3. Bounded by `timeout`; everything is written to a
# temporary directory that is removed on exit, and Caddy is stopped on exit.
#
# usage: deploy/caddy/edge-check.sh   (caddy on PATH)
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
domain=conclave.test
tmp="$(mktemp -d)"
caddy_pid=
cleanup() {
  if [ -n "$caddy_pid" ]; then
    kill "$caddy_pid" 2>/dev/null || true
    wait "$caddy_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "edge-check: $*" >&2
  [ -s "$tmp/caddy.log" ] && tail -20 "$tmp/caddy.log" >&2
  exit 1
}

read -r http_port https_port health_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()')

mkdir -p "$tmp/web" "$tmp/caddy"
echo '<!doctype html><title>Conclave</title>' >"$tmp/web/index.html"
echo '{"name":"Conclave"}' >"$tmp/web/manifest.webmanifest"
echo 'self.addEventListener("fetch", () => {});' >"$tmp/web/sw.js"
export XDG_DATA_HOME="$tmp/caddy" XDG_CONFIG_HOME="$tmp/caddy"
export CONCLAVE_DOMAIN="$domain" CONCLAVE_TLS=internal CONCLAVE_WEB_ROOT="$tmp/web"
# Nothing listens here: API routes answer 502, which must still carry the headers.
export CONCLAVE_API_UPSTREAM="127.0.0.1:9" CONCLAVE_DS_UPSTREAM="127.0.0.1:9" CONCLAVE_SFU_UPSTREAM="127.0.0.1:9"

timeout 30 caddy adapt --config "$root/deploy/caddy/Caddyfile" --adapter caddyfile >"$tmp/adapted.json" 2>"$tmp/adapt.log" ||
  fail "caddy adapt failed: $(cat "$tmp/adapt.log")"
python3 - "$tmp/adapted.json" "$tmp/caddy.json" "$http_port" "$https_port" "$health_port" <<'EOF'
import json, sys
src, dst, http_port, https_port, health_port = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
config = json.load(open(src))
http = config["apps"]["http"]
moved = {http["http_port"]: http_port, http["https_port"]: https_port, 8081: health_port}
http["http_port"], http["https_port"] = http_port, https_port
seen = set()
for server in http["servers"].values():
    listen = []
    for address in server["listen"]:
        port = int(address.rsplit(":", 1)[1])
        if port not in moved:
            sys.exit(f"unexpected listen address {address} in the adapted Caddyfile")
        seen.add(port)
        listen.append(f"127.0.0.1:{moved[port]}")
    server["listen"] = listen
if seen != set(moved):
    sys.exit(f"the adapted Caddyfile listens on {sorted(seen)}, expected {sorted(moved)}")
# The local CA must not try to install its root into this machine's trust store.
config["apps"].setdefault("pki", {}).setdefault("certificate_authorities", {}).setdefault("local", {})["install_trust"] = False
json.dump(config, open(dst, "w"))
EOF

timeout 60 caddy run --config "$tmp/caddy.json" >"$tmp/caddy.log" 2>&1 &
caddy_pid=$!

https_url="https://$domain:$https_port"
curl_https=(curl -sk --max-time 5 --resolve "$domain:$https_port:127.0.0.1")
for _ in $(seq 100); do
  "${curl_https[@]}" -o /dev/null "$https_url/healthz" 2>/dev/null && break
  kill -0 "$caddy_pid" 2>/dev/null || fail "caddy exited"
  sleep 0.2
done
"${curl_https[@]}" -o /dev/null "$https_url/healthz" || fail "no HTTPS answer on $https_url"

# The certificate comes from Caddy's local CA, for the configured name.
issuer="$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$https_port" -servername "$domain" 2>/dev/null |
  openssl x509 -noout -issuer -ext subjectAltName 2>/dev/null)" || fail "no certificate from $https_url"
grep -q 'Caddy Local Authority' <<<"$issuer" || fail "certificate not issued by the internal CA: $issuer"
grep -q "DNS:$domain" <<<"$issuer" || fail "certificate does not name $domain: $issuer"

check_headers() { # $1: path, $2: expected status
  local headers status hsts max_age
  headers="$("${curl_https[@]}" -D - -o /dev/null "$https_url$1")" || fail "GET $1 failed"
  headers="$(tr -d '\r' <<<"$headers")"
  status="$(head -1 <<<"$headers" | awk '{print $2}')"
  [ "$status" = "$2" ] || fail "GET $1: status $status, expected $2"
  hsts="$(grep -i '^strict-transport-security:' <<<"$headers" | cut -d: -f2-)" || fail "GET $1: no Strict-Transport-Security"
  max_age="$(grep -oiE 'max-age=[0-9]+' <<<"$hsts" | cut -d= -f2)" || fail "GET $1: HSTS without max-age: $hsts"
  [ "$max_age" -ge 31536000 ] || fail "GET $1: HSTS max-age $max_age is less than one year"
  grep -qi '^content-security-policy: .*default-src '"'"'none'"'"'' <<<"$headers" || fail "GET $1: no strict Content-Security-Policy"
  grep -qi "^content-security-policy: .*frame-ancestors 'none'" <<<"$headers" || fail "GET $1: CSP allows framing"
  grep -qix 'referrer-policy: no-referrer' <<<"$headers" || fail "GET $1: Referrer-Policy is not no-referrer"
  grep -qix 'x-content-type-options: nosniff' <<<"$headers" || fail "GET $1: no X-Content-Type-Options: nosniff"
  grep -qix 'x-frame-options: deny' <<<"$headers" || fail "GET $1: no X-Frame-Options: DENY"
  if grep -qi '^server:' <<<"$headers"; then fail "GET $1: a Server header is sent"; fi
  echo "edge-check: GET $1 over HTTPS: $status, HSTS max-age=$max_age, CSP, no-referrer, nosniff, DENY, no Server"
}
check_headers / 200
check_headers /m/AbCdEfGhIjKl 200
check_headers /v1/meetings/AbCdEfGhIjKl 502
check_headers /manifest.webmanifest 200
check_headers /sw.js 200

check_app_file() { # $1: path, $2: expected header line (case-insensitive, whole line)
  local headers
  headers="$("${curl_https[@]}" -D - -o /dev/null "$https_url$1" | tr -d '\r')" || fail "GET $1 failed"
  grep -qix "$2" <<<"$headers" || fail "GET $1: no '$2'"
  grep -qi "^content-security-policy: .*manifest-src 'self'" <<<"$headers" || fail "GET $1: CSP has no manifest-src 'self'"
  grep -qi "^content-security-policy: .*worker-src 'self'" <<<"$headers" || fail "GET $1: CSP has no worker-src 'self'"
  echo "edge-check: GET $1: $2, manifest-src and worker-src 'self'"
}
check_app_file /manifest.webmanifest 'content-type: application/manifest+json'
check_app_file /sw.js 'cache-control: no-cache'

check_redirect() { # $1: path
  local headers status location
  headers="$(curl -s --max-time 5 -D - -o /dev/null -H "Host: $domain" "http://127.0.0.1:$http_port$1")" ||
    fail "plain HTTP GET $1 failed"
  headers="$(tr -d '\r' <<<"$headers")"
  status="$(head -1 <<<"$headers" | awk '{print $2}')"
  location="$(grep -i '^location:' <<<"$headers" | cut -d' ' -f2-)"
  [ "$status" = 301 ] || [ "$status" = 308 ] || fail "plain HTTP GET $1: status $status, expected a permanent redirect"
  [ "$location" = "https://$domain$1" ] || fail "plain HTTP GET $1 redirects to '$location', expected https://$domain$1"
  echo "edge-check: plain HTTP GET $1: $status to $location"
}
check_redirect /
check_redirect '/m/AbCdEfGhIjKl?x=1'

# Caddy writes no access log, and its error log keeps the error but not the request: a failed
# upstream and a failed TLS handshake leave no path, user agent or client port in its output.
"${curl_https[@]}" -o /dev/null -A 'EdgeCheckAgent/7.7' "$https_url/v1/meetings/AbCdEfGhIjKl/join" || true
printf 'not a TLS client hello\r\n\r\n' | timeout 5 curl -s --max-time 2 "telnet://127.0.0.1:$https_port" >/dev/null 2>&1 || true
sleep 0.5
grep -q 'certificate obtained successfully' "$tmp/caddy.log" || fail "caddy's log was not captured (the log check would be vacuous)"
for needle in AbCdEfGhIjKl EdgeCheckAgent remote_ip client_ip User-Agent; do
  if grep -q "$needle" "$tmp/caddy.log"; then fail "caddy logged request data ($needle): $(grep "$needle" "$tmp/caddy.log" | head -1)"; fi
done
if grep -vE '"(addr|upstream)":' "$tmp/caddy.log" | grep -qE '127\.0\.0\.1:[0-9]+'; then
  fail "caddy logged a client address: $(grep -E '127\.0\.0\.1:[0-9]+' "$tmp/caddy.log" | head -1)"
fi
echo "edge-check: ok"
