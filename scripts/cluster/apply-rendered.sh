#!/usr/bin/env bash
# Applies the manifests a rendering stack wrote (`platform up --stack dev` writes rendered/dev) to the cluster of
# the current kubeconfig context, in the order the API server needs: the CRDs, until it serves them; the
# namespaces; then everything else. Server-side apply with strict field validation: an unknown or misspelt field
# is refused, not dropped. The cluster needs nothing beforehand: the stack installs Flux, its CRDs and the
# operators' CRDs itself (README, "What a cluster needs").
#
# Usage: scripts/cluster/apply-rendered.sh <rendered folder>      (KUBECTL=<path> picks the kubectl)
set -euo pipefail
dir=${1:?usage: scripts/cluster/apply-rendered.sh <rendered folder, e.g. rendered/dev>}
kubectl=${KUBECTL:-kubectl}
[[ -d "$dir/1-manifest" ]] || { echo "apply-rendered: $dir has no 1-manifest folder: is it a folder the Kubernetes provider rendered?" >&2; exit 2; }
apply=(apply --server-side --field-manager=media-platform --validate=strict)

shopt -s nullglob
crds=("$dir"/0-crd/*.yaml)
if (( ${#crds[@]} > 0 )); then
  "$kubectl" "${apply[@]}" -f "$dir/0-crd"
  "$kubectl" wait --for=condition=Established --timeout=120s -f "$dir/0-crd"
fi
namespaces=("$dir"/1-manifest/v1-namespace-*.yaml)
for ns in "${namespaces[@]}"; do "$kubectl" "${apply[@]}" -f "$ns"; done
"$kubectl" "${apply[@]}" -R -f "$dir/1-manifest"
