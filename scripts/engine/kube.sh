#!/usr/bin/env bash
# Provides kube-apiserver and kubectl of KUBERNETES_VERSION (scripts/engine/versions.env) for the end-to-end
# tests on a real API server, built from the Go module proxy into the version-keyed cache
#   ${MEDIA_PLATFORM_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/media-platform/engine}/kubernetes-v<version>/bin
# building only what is missing. k8s.io/kubernetes cannot be required plainly (its go.mod requires its staging
# modules at v0.0.0 with local replaces): a wrapper module requires it and replaces each of those with the
# published staging module of the same minor (v0.<minor>.<patch>). The binaries are stamped with their version.
#
# Progress on stderr; on success the last line of stdout is the bin directory. On failure, lines
# "[kube] <binary> unavailable: <reason>" and exit 1.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/engine/versions.env
source "$HERE/versions.env"

log() { printf '[kube] %s\n' "$*" >&2; }
V=$KUBERNETES_VERSION
STAGING="0.${V#*.}"   # 1.34.4 -> 0.34.4
CACHE_ROOT="${MEDIA_PLATFORM_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/media-platform/engine}"
KEYDIR="$CACHE_ROOT/kubernetes-v$V"
BIN="$KEYDIR/bin"
mkdir -p "$BIN"
exec 9>"$KEYDIR/.lock"
flock 9

have() { [[ -x "$BIN/kube-apiserver" && -x "$BIN/kubectl" ]]; }
if have; then
  log "kube-apiserver and kubectl v$V found in the cache: $BIN"
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || { log "kube-apiserver unavailable: go is not installed, so it cannot be built from the Go module proxy"; exit 1; }
command -v jq >/dev/null || { log "kube-apiserver unavailable: jq is needed to build it (apt-get install jq)"; exit 1; }
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0

W="$KEYDIR/work"
rm -rf "$W"; mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
cd "$W"
go mod init media-platform-kube >/dev/null 2>&1
if ! j=$(go mod download -json "k8s.io/kubernetes@v$V" 2>&1) || [[ -n "$(jq -r '.Error // empty' <<<"$j" 2>/dev/null)" ]]; then
  log "kube-apiserver unavailable: go mod download k8s.io/kubernetes@v$V: $(jq -r '.Error // empty' <<<"$j" 2>/dev/null || echo "$j")"
  exit 1
fi
# Every k8s.io module upstream requires at v0.0.0 (its staging folder) comes from the proxy at v<staging>.
replaces=()
while read -r m; do replaces+=(-replace "$m=$m@v$STAGING"); done < <(go mod edit -json "$(jq -r .GoMod <<<"$j")" | jq -r '.Require[] | select(.Version == "v0.0.0") | .Path' | sort -u)
go mod edit -require "k8s.io/kubernetes@v$V" "${replaces[@]}"
cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
log "resolving k8s.io/kubernetes v$V with ${#replaces[@]} staging modules at v$STAGING"
go mod tidy >&2
minor=${V#*.}; minor=${minor%%.*}
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=v$V -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
for b in kube-apiserver kubectl; do
  [[ -x "$BIN/$b" ]] && continue
  t0=$(date +%s)
  log "go build k8s.io/kubernetes/cmd/$b -> $BIN/$b (minutes on a cold cache)"
  go build -trimpath -ldflags "$stamp" -o "$BIN/.$b.tmp" "k8s.io/kubernetes/cmd/$b" >&2
  mv -f "$BIN/.$b.tmp" "$BIN/$b"
  log "built $b in $(( $(date +%s) - t0 ))s"
done
"$BIN/kubectl" version --client -o json | jq -e --arg v "v$V" '.clientVersion.gitVersion == $v' >/dev/null || { log "kubectl unavailable: the built kubectl does not report v$V"; rm -f "$BIN/kubectl"; exit 1; }
echo "$BIN"
