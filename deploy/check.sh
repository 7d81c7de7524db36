#!/usr/bin/env bash
# Validates the deployment files without a cluster or a Docker engine (`make deploy-check`):
#   - kustomize builds the base and every overlay, and kubeconform checks each object strictly
#     against the JSON schemas of Kubernetes (made offline from the k8s.io/kubernetes module's
#     OpenAPI document by deploy/kubeschema): an unknown field or a wrong type fails;
#   - the CloudNativePG example parses (its kinds are CRDs: no schema here);
#   - go test ./deploy/ checks the Dockerfile and compose.yaml (non-root, read-only root,
#     health check, migrations run once, every VIGIE_* variable known to the configuration);
#   - image-smoke.sh runs the image's static build as uid 65532 on a read-only root (root
#     needed: unshare and chroot), configured from the environment only.
# Tools are installed with `go install` from the Go module proxy into a temporary GOBIN;
# nothing is committed or left behind. Fails loudly.
set -euo pipefail
cd "$(dirname "$0")/.."

KUSTOMIZE_VERSION=v5.8.2    # v5.8.3 needs Go 1.27
KUBECONFORM_VERSION=v0.8.0
KUBERNETES_VERSION=v1.34.2  # the API the manifests are checked against

fail() { echo "FATAL: $*" >&2; exit 1; }
command -v go >/dev/null || fail "go is not installed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOBIN="$work/bin"

echo "== installing kustomize $KUSTOMIZE_VERSION and kubeconform $KUBECONFORM_VERSION (GOBIN=$GOBIN)"
go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" || fail "go install kustomize failed"
go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" || fail "go install kubeconform failed"

echo "== Kubernetes $KUBERNETES_VERSION schemas"
moddir=$(cd "$work" && GOFLAGS= go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
spec="$moddir/api/openapi-spec/swagger.json"
[ -f "$spec" ] || fail "no OpenAPI document at $spec"
go run ./deploy/kubeschema -spec "$spec" -out "$work/schemas" || fail "schema generation failed"

schemas="$work/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json"
for dir in deploy/k8s/base deploy/k8s/overlays/*/; do
  echo "== $dir"
  "$GOBIN/kustomize" build "$dir" > "$work/manifests.yaml" || fail "kustomize build $dir failed"
  "$GOBIN/kubeconform" -strict -summary -schema-location "$schemas" "$work/manifests.yaml" || fail "$dir: invalid manifests"
done

echo "== deploy/k8s/cloudnative-pg (CRDs: parsed, not checked)"
"$GOBIN/kubeconform" -summary -ignore-missing-schemas -schema-location "$schemas" deploy/k8s/cloudnative-pg/ || fail "cloudnative-pg example"

echo "== Dockerfile and compose.yaml"
go test -count=1 ./deploy/ || fail "deploy tests failed"

echo "== the binary as the image runs it (non-root, read-only root, environment only)"
deploy/image-smoke.sh || fail "image smoke test failed"
echo "deploy-check: ok"
