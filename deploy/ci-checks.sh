#!/usr/bin/env bash
# Offline validation of everything needed to deploy Conclave. Exits non-zero on any failure.
#
#   1. Helm chart: `helm lint --strict` with the default, the production-like and the CI
#      cluster's values (charts/conclave/ci/*-values.yaml), values.schema.json enforced (a bad value
#      must be refused), rendered manifests validated against the Kubernetes JSON schemas
#      shipped in the kubernetes-validate package (strict: unknown fields fail) for each
#      Kubernetes version in K8S_VERSIONS, plus policy checks (security contexts, SFU shape,
#      HPA/PDB targets, ServiceMonitor against deploy/schemas/servicemonitor.schema.json,
#      ingress-nginx's access log off on every Ingress).
#   2. compose.yaml: loaded by compose-go (the `docker compose` loader: schema, interpolation,
#      semantics) with freshly generated secrets, with and without the turn profile; a missing
#      required setting must be refused.
#   3. Dockerfiles: BuildKit's parser and checks. Caddyfiles: `caddy adapt --validate`, and the
#      edge Caddyfile run for real with its internal CA on loopback ports
#      (deploy/caddy/edge-check.sh): HSTS of at least a year, CSP, Referrer-Policy no-referrer
#      and the other headers over HTTPS, also on error responses; plain HTTP redirected to HTTPS;
#      no request data in Caddy's log.
#      coturn's configuration and command line turn its log off (deploy/ci/check-coturn.py).
#   4. Grafana dashboard: valid JSON, every queried metric defined by a service.
#   5. Shell scripts: `bash -n`, and shellcheck when installed.
#
# Tools come from scripts/install-tools.sh (cached; run it once with network access). Every
# step is bounded by `timeout`; nothing is written outside a temporary directory.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin="$(scripts/install-tools.sh)"
export PATH="$bin:$PATH"
python="$(dirname "$(readlink -f "$bin/kubernetes-validate")")/python"
K8S_VERSIONS="${K8S_VERSIONS:-1.30.0 1.34.0}"
chart=charts/conclave
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0
passed=0

step() {
  local name="$1"
  shift
  if timeout 300 "$@" >"$tmp/out" 2>&1; then
    passed=$((passed + 1))
    echo "ok    $name"
  else
    failures=$((failures + 1))
    echo "FAIL  $name"
    sed 's/^/      /' "$tmp/out" | tail -40
  fi
}

refused() { # the command must fail (a negative test)
  if "$@"; then echo "accepted, but should have been refused: $*"; return 1; fi
  return 0
}

# --- 1. Helm chart ---------------------------------------------------------------------------
for values in default production cluster; do
  args=()
  [ "$values" = default ] || args=(-f "$chart/ci/$values-values.yaml")
  step "helm lint --strict ($values values)" helm lint --strict "$chart" "${args[@]}" --kube-version 1.34.0
  for version in $K8S_VERSIONS; do
    out="$tmp/$values-$version.yaml"
    step "helm template ($values values, Kubernetes $version)" \
      bash -c 'helm template conclave "$1" --namespace conclave --kube-version "$2" "${@:4}" >"$3"' _ \
      "$chart" "$version" "$out" "${args[@]}"
    step "kubernetes schemas, strict ($values values, Kubernetes $version)" \
      bash -c 'kubernetes-validate --strict --quiet -k "$1" "$2" 2>&1 | grep -v "Couldn.t find schema for kind ServiceMonitor" | tee /dev/stderr | (! grep -q .)' _ \
      "$version" "$out"
  done
  step "manifest policies ($values values)" "$python" deploy/ci/check-manifests.py \
    deploy/schemas/servicemonitor.schema.json "$tmp/$values-1.34.0.yaml"
done
step "values.schema.json refuses bad values" bash -c '
  for bad in "sfu.workers=0" "api.creation=closed" "unknownKey=1" "sfu.publicUrl=http://x" "postgresql.storage.size=8GB"; do
    if helm template t "$1" --kube-version 1.34.0 --set "$bad" >/dev/null 2>&1; then echo "accepted $bad"; exit 1; fi
  done' _ "$chart"
step "static SFU selection: the API's SFU URL is the one the SFU accepts tokens for" bash -c '
  out=$(helm template t "$1" --kube-version 1.34.0 --set api.sfuSelection=static,sfu.publicUrl=wss://sfu.example.org/v1/sfu) &&
  sfu=$(printf "%s\n" "$out" | grep -o "name: SFU_PUBLIC_URL, value: \"[^\"]*\"" | sort -u) &&
  api=$(printf "%s\n" "$out" | grep -o "name: CONCLAVE_SFU_URL, value: \"[^\"]*\"" | sort -u) &&
  [ "${sfu#*value: }" = "\"wss://sfu.example.org/v1/sfu\"" ] && [ "${api#*value: }" = "${sfu#*value: }" ]' _ "$chart"
step "the ingress writes no access log, even with annotations of one's own" bash -c '
  helm template t "$1" --kube-version 1.34.0 --set-string "ingress.annotations.cert-manager\.io/cluster-issuer=x" >"$2/ann.yaml" &&
  grep -q "nginx.ingress.kubernetes.io/enable-access-log: \"false\"" "$2/ann.yaml" &&
  helm template t "$1" --kube-version 1.34.0 --set-string "ingress.annotations.nginx\.ingress\.kubernetes\.io/enable-access-log=true" >"$2/on.yaml" &&
  ! "$3" deploy/ci/check-manifests.py deploy/schemas/servicemonitor.schema.json "$2/on.yaml" >/dev/null' _ "$chart" "$tmp" "$python"
step "helm template with hostPort SFU, no ingress, no bundled stores" bash -c '
  helm template t "$1" --kube-version 1.34.0 --set sfu.hostNetwork=false,ingress.enabled=false,postgresql.bundled=false,redis.bundled=false,networkPolicy.enabled=true >"$2/alt.yaml" &&
  kubernetes-validate --strict --quiet -k 1.34.0 "$2/alt.yaml" && "$3" deploy/ci/check-manifests.py deploy/schemas/servicemonitor.schema.json "$2/alt.yaml"' _ "$chart" "$tmp" "$python"

# --- 2. compose.yaml ----------------------------------------------------------------------------
project="$tmp/compose"
mkdir -p "$project/deploy/compose"
cp compose.yaml "$project/"
cp -r deploy/coturn "$project/deploy/"
scripts/gen-secrets.sh "$project/deploy/compose/secrets" 2>/dev/null
cp deploy/compose/env.example "$project/.env"
step "coturn writes no log (config file and compose command line)" "$python" deploy/ci/check-coturn.py \
  deploy/coturn/turnserver.conf compose.yaml
# Refused for the right reason: the check names the setting, not merely exits non-zero.
step "the coturn check refuses a logging configuration" bash -c '
  sed "s|^log-file=.*|log-file=stdout|" deploy/coturn/turnserver.conf >"$1/turn-logging.conf" &&
  ! "$2" deploy/ci/check-coturn.py "$1/turn-logging.conf" compose.yaml >"$1/turn-logging.out" 2>&1 &&
  grep -q "^FAIL turnserver.conf has log-file=stdout" "$1/turn-logging.out"' _ "$tmp" "$python"
step "compose.yaml (compose-go loader, schema + semantics)" compose-check -q "$project/compose.yaml"
step "compose.yaml with --profile turn" compose-check -q -profile turn "$project/compose.yaml"
step "compose.yaml: PEM secrets reach the containers with real newlines" bash -c '
  compose-check "$1" | grep -A2 "CONCLAVE_JOIN_TOKEN_PRIVATE_KEY: |" | grep -q "^ *-----BEGIN PRIVATE KEY-----$"' _ "$project/compose.yaml"
step "compose.yaml refuses a missing CONCLAVE_DOMAIN" bash -c '
  sed -i "s/^CONCLAVE_DOMAIN=.*//" "$1/.env" && ! compose-check -q "$1/compose.yaml" 2>/dev/null' _ "$project"
step "gen-secrets.sh --kubernetes makes a valid Secret" bash -c '
  scripts/gen-secrets.sh --kubernetes conclave-secrets >"$1/secret.yaml" && kubernetes-validate --strict --quiet -k 1.34.0 "$1/secret.yaml"' _ "$tmp"

# --- 3. Dockerfiles and Caddyfiles ---------------------------------------------------------------
step "Dockerfiles (BuildKit parser and checks)" dockerfile-check services/api/Dockerfile \
  services/mls-ds/Dockerfile services/sfu/Dockerfile services/web/Dockerfile
# A `# syntax=` line makes BuildKit pull a frontend image, and `RUN --mount` needs BuildKit: the
# images must build offline with the engine's own frontend and with the classic builder too.
step "Dockerfiles build without a registry or BuildKit" bash -c '! grep -nE "^# *syntax=|--mount=" "$@"' _ \
  services/api/Dockerfile services/mls-ds/Dockerfile services/sfu/Dockerfile services/web/Dockerfile
step "Caddyfile (edge, automatic HTTPS)" env CONCLAVE_DOMAIN=meet.example.org CONCLAVE_TLS=admin@example.org \
  XDG_DATA_HOME="$tmp/caddy" XDG_CONFIG_HOME="$tmp/caddy" caddy adapt --validate --config deploy/caddy/Caddyfile --adapter caddyfile
step "Caddyfile (edge, internal CA)" env CONCLAVE_DOMAIN=192.0.2.10 CONCLAVE_TLS=internal \
  XDG_DATA_HOME="$tmp/caddy" XDG_CONFIG_HOME="$tmp/caddy" caddy adapt --validate --config deploy/caddy/Caddyfile --adapter caddyfile
step "Caddyfile.http (behind an ingress)" env XDG_DATA_HOME="$tmp/caddy" XDG_CONFIG_HOME="$tmp/caddy" \
  caddy adapt --validate --config deploy/caddy/Caddyfile.http --adapter caddyfile
step "Caddyfile (edge) served over HTTPS: HSTS, CSP, no-referrer, HTTP->HTTPS redirect" timeout 90 deploy/caddy/edge-check.sh

# --- 4. Grafana dashboard -------------------------------------------------------------------------
step "Grafana dashboard is current" bash -c 'python3 deploy/grafana/build-dashboard.py | cmp -s - deploy/grafana/conclave.json'
step "Grafana dashboard metrics exist" python3 deploy/ci/check-dashboard.py deploy/grafana/conclave.json --source "$root"

# --- 5. Shell scripts -----------------------------------------------------------------------------
scripts_list=(deploy/ci-checks.sh deploy/caddy/edge-check.sh deploy/loadtest/run.sh scripts/*.sh deploy/stack/*.sh
  deploy/cluster/*.sh
  deploy/stack/stand-ins/*.sh .ci/run)
step "shell syntax" bash -c 'for f in "$@"; do bash -n "$f" || exit 1; done' _ "${scripts_list[@]}"
if command -v shellcheck >/dev/null; then
  step "shellcheck" shellcheck -S warning "${scripts_list[@]}"
fi

echo "deploy checks: $passed passed, $failures failed"
[ "$failures" = 0 ]
