#!/usr/bin/env bash
# Provides the Pulumi engine media-platform runs (the main job, the end-to-end tests, the preview benchmark):
# the CLI `pulumi` and the Kubernetes provider `pulumi-resource-kubernetes`, at the versions pinned in
# scripts/engine/versions.env. The program runs inline through Pulumi's Automation API, so no language host
# is needed; the policy pack runs as an analyzer plugin (see "policy pack" below). The first of these that
# works is used:
#
# 1. The official CLI: a `pulumi` of exactly PULUMI_VERSION on PATH, with the provider installed by
#    `pulumi plugin install resource kubernetes v<version>`. Nothing is built.
# 2. MEDIA_PLATFORM_ENGINE_BIN: a directory holding `pulumi` (of the pinned version) and
#    `pulumi-resource-kubernetes`; the provider is installed from there into its plugin home.
# 3. The cache <cache>/<key> (<cache> = MEDIA_PLATFORM_ENGINE_CACHE, default
#    ${XDG_CACHE_HOME:-$HOME/.cache}/media-platform/engine; <key> = <cli version>-k8s<provider version>),
#    building from the Go module proxy whatever is missing of bin/pulumi and bin/pulumi-resource-kubernetes,
#    and installing the plugins into its own plugin home, <cache>/<key>/home (used as PULUMI_HOME).
#
# Policy pack: where a Node.js language host sits next to the CLI (the official CLI), the engine runs the pack
# the normal way. Where none does (steps 2 and 3), the engine falls back to an analyzer plugin named
# `policy-nodejs`; scripts/engine/pulumi-analyzer-policy-nodejs is that plugin, installed into the plugin
# home (never put on PATH, where every run would warn about it).
#
# Progress goes to stderr. On success stdout ends with two lines:
#     MEDIA_PLATFORM_ENGINE_BIN=<directory of pulumi>
#     MEDIA_PLATFORM_PULUMI_HOME=<plugin home to use as PULUMI_HOME, empty: the user's own>
# Most callers want:  source scripts/engine/env.sh
# On failure the reasons are lines "[engine] <binary> unavailable: <reason>" and the exit code is 1.
#
# Engine logs: the CLI's automatic log (every RPC with its payload, compressed and encrypted on each run) is off
# in the plugin home of steps 2 and 3; see engine_logs. The official CLI (step 1) keeps the user's own setting.
#
# Knobs: MEDIA_PLATFORM_ENGINE_CACHE (cache root), MEDIA_PLATFORM_ENGINE_BIN (step 2),
#        MEDIA_PLATFORM_ENGINE_FORCE_BUILD=1 (skip step 1), MEDIA_PLATFORM_ENGINE_LOGS=1 (keep the engine's
#        automatic logs in the plugin home of steps 2 and 3).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/engine/versions.env
source "$HERE/versions.env"

log() { printf '[engine] %s\n' "$*" >&2; }
die() { printf '[engine] ERROR: %s\n' "$*" >&2; exit 1; }
unavailable() { printf '[engine] %s unavailable: %s\n' "$1" "$2" >&2; }

export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

KEY="${PULUMI_VERSION}-k8s${PULUMI_KUBERNETES_VERSION}"
CACHE_ROOT="${MEDIA_PLATFORM_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/media-platform/engine}"
KEYDIR="$CACHE_ROOT/$KEY"
ANALYZER_SHIM="$HERE/pulumi-analyzer-policy-nodejs"
# The shim is this project's own plugin: it carries the project's version, not Pulumi's.
ANALYZER_VERSION=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$HERE/../../package.json" | head -n 1)

PKG_CLI=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
MOD_PKG=github.com/pulumi/pulumi/pkg/v3
MOD_SDK=github.com/pulumi/pulumi/sdk/v3
MOD_K8S=github.com/pulumi/pulumi-kubernetes/provider/v4
MOD_K8S_SDK=github.com/pulumi/pulumi-kubernetes/sdk/v4
VERSION_LDFLAG="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_VERSION}"
K8S_VERSION_LDFLAG="-X ${MOD_K8S}/pkg/version.Version=${PULUMI_KUBERNETES_VERSION}"

WHAT_TO_DO="Install the official Pulumi CLI v${PULUMI_VERSION} (https://www.pulumi.com/docs/install/) with its
  Kubernetes provider (pulumi plugin install resource kubernetes v${PULUMI_KUBERNETES_VERSION}); or install Go
  and let this script build both from the Go module proxy; or set MEDIA_PLATFORM_ENGINE_BIN to a directory
  holding pulumi v${PULUMI_VERSION} and pulumi-resource-kubernetes v${PULUMI_KUBERNETES_VERSION}."

# The CLI logs every RPC at debug level with its payload into <home>/logs, compressed and encrypted, on every run:
# 36–58 MB per preview of dev, whose CRDs hold 1.3 MB of schema, and more CPU than the preview itself (dev with
# the pack: 21 s with the log, 9 s without, measured on 2 cores). This CLI version has no switch for it; it
# carries on without the log when the folder cannot be created, so a file stands in its place.
engine_logs() { # HOME
  local logs=$1/logs
  if [[ "${MEDIA_PLATFORM_ENGINE_LOGS:-}" == 1 ]]; then
    if [[ -f "$logs" ]]; then rm -f "$logs"; fi
    return 0
  fi
  if [[ -d "$logs" ]]; then
    log "turning the engine's automatic logs off in $1 (removing $(du -sh "$logs" | cut -f1) of them; MEDIA_PLATFORM_ENGINE_LOGS=1 keeps them)"
    rm -rf "$logs"
  fi
  mkdir -p "$1"
  [[ -e "$logs" ]] || echo "The engine's automatic logs are off in this plugin home (scripts/engine/build.sh); MEDIA_PLATFORM_ENGINE_LOGS=1 turns them on." >"$logs"
}

found() { # BIN HOME
  if [[ -n "$2" ]]; then engine_logs "$2"; fi
  printf 'MEDIA_PLATFORM_ENGINE_BIN=%s\nMEDIA_PLATFORM_PULUMI_HOME=%s\n' "$1" "$2"
  exit 0
}

version_of() { timeout 30 "$1" version 2>/dev/null | tail -n 1; }

# Where `pulumi plugin install` puts a plugin: the folder name records the version it was installed as.
plugin_dir() { echo "$1/plugins/$2-v$3"; }

# install_plugins HOME PULUMI K8S: the provider and the analyzer shim into HOME's plugin folder, when missing or stale.
install_plugins() {
  local home=$1 pulumi=$2 k8s=$3 d
  d=$(plugin_dir "$home" resource-kubernetes "$PULUMI_KUBERNETES_VERSION")
  if [[ ! -x "$d/pulumi-resource-kubernetes" ]] || ! cmp -s "$k8s" "$d/pulumi-resource-kubernetes"; then
    log "installing the Kubernetes provider v${PULUMI_KUBERNETES_VERSION} into $home"
    PULUMI_HOME="$home" "$pulumi" plugin install resource kubernetes "v${PULUMI_KUBERNETES_VERSION}" -f "$k8s" --reinstall >&2
  fi
  d=$(plugin_dir "$home" analyzer-policy-nodejs "$ANALYZER_VERSION")
  if [[ ! -x "$d/pulumi-analyzer-policy-nodejs" ]] || ! cmp -s "$ANALYZER_SHIM" "$d/pulumi-analyzer-policy-nodejs"; then
    log "installing the policy-nodejs analyzer plugin (scripts/engine/pulumi-analyzer-policy-nodejs) into $home"
    # Stale copies under other versions would be picked instead of this one.
    rm -rf "$home"/plugins/analyzer-policy-nodejs-v*
    PULUMI_HOME="$home" "$pulumi" plugin install analyzer policy-nodejs "v${ANALYZER_VERSION}" -f "$ANALYZER_SHIM" --reinstall >&2
  fi
}

# ---------------------------------------------------------------------------------------------------------
# 1. The official CLI on PATH.
# ---------------------------------------------------------------------------------------------------------
under_cache() { case "$1" in "$CACHE_ROOT"/*) return 0 ;; *) return 1 ;; esac; }

use_official() {
  [[ "${MEDIA_PLATFORM_ENGINE_FORCE_BUILD:-}" == 1 ]] && return 1
  local p real v home
  p=$(type -P pulumi) || return 1
  real=$(readlink -f "$p")
  under_cache "$real" && return 1   # a binary of step 3 that env.sh put on PATH: not "official"
  v=$(version_of "$p") || return 1
  [[ "$v" == "v${PULUMI_VERSION}" ]] || { log "pulumi on PATH ($p) is $v, not v${PULUMI_VERSION}: not using it"; return 1; }
  home="${PULUMI_HOME:-$HOME/.pulumi}"
  if [[ ! -x "$(plugin_dir "$home" resource-kubernetes "$PULUMI_KUBERNETES_VERSION")/pulumi-resource-kubernetes" ]]; then
    log "pulumi v${PULUMI_VERSION} found at $p, but not the Kubernetes provider v${PULUMI_KUBERNETES_VERSION}: run"
    log "  pulumi plugin install resource kubernetes v${PULUMI_KUBERNETES_VERSION}"
    return 1
  fi
  if [[ ! -x "$(dirname "$real")/pulumi-language-nodejs" ]]; then
    install_plugins "$home" "$p" "$(plugin_dir "$home" resource-kubernetes "$PULUMI_KUBERNETES_VERSION")/pulumi-resource-kubernetes"
  fi
  log "using the official pulumi v${PULUMI_VERSION} ($real) and its Kubernetes provider v${PULUMI_KUBERNETES_VERSION}"
  dirname "$real"
}

if dir=$(use_official); then found "$dir" ""; fi

# ---------------------------------------------------------------------------------------------------------
# 2. An explicit bin directory.
# ---------------------------------------------------------------------------------------------------------
if [[ -n "${MEDIA_PLATFORM_ENGINE_BIN:-}" ]]; then
  dir=$MEDIA_PLATFORM_ENGINE_BIN
  for b in pulumi pulumi-resource-kubernetes; do
    [[ -x "$dir/$b" ]] || die "MEDIA_PLATFORM_ENGINE_BIN=$dir has no executable $b"
  done
  v=$(version_of "$dir/pulumi") || v="(no answer)"
  [[ "$v" == "v${PULUMI_VERSION}" ]] || die "MEDIA_PLATFORM_ENGINE_BIN=$dir: its pulumi reports $v, expected v${PULUMI_VERSION}"
  mkdir -p "$KEYDIR"
  install_plugins "$KEYDIR/home" "$dir/pulumi" "$dir/pulumi-resource-kubernetes"
  log "using the engine in MEDIA_PLATFORM_ENGINE_BIN=$dir (plugins in $KEYDIR/home)"
  found "$dir" "$KEYDIR/home"
fi

# ---------------------------------------------------------------------------------------------------------
# 3. The cache, building what is missing from the Go module proxy (one builder at a time per version key).
# ---------------------------------------------------------------------------------------------------------
BIN="$KEYDIR/bin"
WORK="$KEYDIR/work"
mkdir -p "$BIN"
exec 9>"$KEYDIR/.lock"
if ! flock -n 9; then
  log "another build holds $KEYDIR/.lock; waiting"
  flock 9
fi

have_all() { [[ -x "$BIN/pulumi" && -x "$BIN/pulumi-resource-kubernetes" ]]; }

if have_all; then
  install_plugins "$KEYDIR/home" "$BIN/pulumi" "$BIN/pulumi-resource-kubernetes"
  log "engine ${KEY} found in the cache: $BIN"
  found "$BIN" "$KEYDIR/home"
fi

if ! command -v go >/dev/null; then
  [[ -x "$BIN/pulumi" ]] || unavailable pulumi "go is not installed, so it cannot be built from the Go module proxy"
  [[ -x "$BIN/pulumi-resource-kubernetes" ]] || unavailable pulumi-resource-kubernetes "go is not installed, so it cannot be built from the Go module proxy"
  log "What to do: $WHAT_TO_DO"
  die "the Pulumi engine ${KEY} is incomplete (cache: $BIN)"
fi
command -v jq >/dev/null || die "jq is needed to build the engine (apt-get install jq)"
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED="${CGO_ENABLED:-0}"
log "building what is missing of engine ${KEY} into $BIN with $(go env GOVERSION) (GOPROXY=$(go env GOPROXY))"

TMPFILES=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() { local f; for f in "${TMPFILES[@]}"; do rm -f "$f"; done; }
trap cleanup EXIT

one_line() { tr '\n\t' '  ' | sed -E 's/  +/ /g; s/ $//'; }

# download MODULE@VERSION: its `go mod download -json` record, or fails printing the proxy's answer in one line.
download() {
  local json err
  json=$(go mod download -json "$1" 2>&1) || true
  err=$(jq -r '.Error // empty' <<<"$json" 2>/dev/null) || err=$json
  [[ -n "$json" ]] || err="no answer"
  if [[ -n "$err" ]]; then echo "go mod download $1: $(one_line <<<"$err")"; return 1; fi
  echo "$json"
}

# build_bin DIR PKG NAME LDFLAGS [TAGS]: builds to a temporary name and moves it into place (an interrupted build
# never leaves a broken binary); logs and records the time.
build_bin() {
  local dir=$1 pkg=$2 name=$3 ldflags=$4 tags=${5:-} tmp t0 t1
  tmp="$BIN/.${name}.tmp.$$"
  TMPFILES+=("$tmp")
  log "go build $pkg -> $BIN/$name (minutes on a cold cache)"
  t0=$(date +%s)
  (cd "$dir" && go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$tmp" "$pkg") >&2
  t1=$(date +%s)
  chmod 0755 "$tmp"
  mv -f "$tmp" "$BIN/$name"
  log "built $name in $((t1 - t0))s"
  printf '%s %s %ss %s\n' "$(date -u +%FT%TZ)" "$name" "$((t1 - t0))" "$(go env GOVERSION)" >>"$KEYDIR/build-times.log"
}

# Non-local replace directives of a module's go.mod, as old[@v]=new@v for go mod edit.
module_replaces() {
  go mod edit -json "$1" | jq -r '.Replace // [] | .[] | select(.New.Version != null)
      | "\(.Old.Path)\(if .Old.Version then "@" + .Old.Version else "" end)=\(.New.Path)@\(.New.Version)"'
}

mkdir -p "$WORK"
failed=0

# --- pulumi: a wrapper module requiring pkg/v3 and sdk/v3 at the same tag -----------------------------------
# pkg/v3's go.mod replaces sdk/v3 with ../sdk, so `go install pkg@version` refuses; the wrapper, with pkg's
# non-local replaces copied, builds the same CLI.
if [[ ! -x "$BIN/pulumi" ]]; then
  W="$WORK/cli"
  rm -rf "$W"; mkdir -p "$W"
  (cd "$W" && go mod init media-platform-engine-cli >/dev/null 2>&1)
  if j=$(cd "$W" && download "$MOD_PKG@v$PULUMI_VERSION"); then
    for r in $(module_replaces "$(jq -r .GoMod <<<"$j")"); do (cd "$W" && go mod edit -replace "$r"); done
    (cd "$W" && go mod edit -require "$MOD_PKG@v$PULUMI_VERSION" -require "$MOD_SDK@v$PULUMI_VERSION")
    build_bin "$W" "$PKG_CLI" pulumi "$VERSION_LDFLAG" osusergo,grpcnotrace
    v=$(version_of "$BIN/pulumi") || v="(no answer)"
    [[ "$v" == "v${PULUMI_VERSION}" ]] || { rm -f "$BIN/pulumi"; die "the built pulumi reports '$v', expected v${PULUMI_VERSION}"; }
  else
    unavailable pulumi "$j"; failed=1
  fi
fi

# --- pulumi-resource-kubernetes: from a writable copy of the provider module at its served pseudo-version ----
# provider/v4 has no tags: the proxy serves it only by pseudo-version (versions.env pins the one whose commit is
# the release tag). Its go.mod replaces sdk/v4 with ../sdk (the released sdk/v4 of the same version is used
# instead), and its main embeds files that cmd/pulumi-resource-kubernetes/generate.go writes from schema.json.
if [[ ! -x "$BIN/pulumi-resource-kubernetes" ]]; then
  if j=$(cd "$WORK" && download "$MOD_K8S@$PULUMI_KUBERNETES_MODULE_VERSION"); then
    K="$WORK/provider"
    rm -rf "$K"; cp -r "$(jq -r .Dir <<<"$j")" "$K"; chmod -R u+w "$K"
    (cd "$K" && go mod edit -dropreplace "$MOD_K8S_SDK" -require "$MOD_K8S_SDK@v$PULUMI_KUBERNETES_VERSION")
    local_r=$(cd "$K" && go mod edit -json | jq -r '.Replace // [] | .[] | select(.New.Version == null) | .Old.Path')
    G="$K/cmd/pulumi-resource-kubernetes"
    if [[ -n "$local_r" ]]; then
      unavailable pulumi-resource-kubernetes "its go.mod replaces modules with folders outside the module: $(one_line <<<"$local_r")"; failed=1
    elif [[ ! -f "$G/schema.json" ]]; then
      unavailable pulumi-resource-kubernetes "the module the proxy serves has no cmd/pulumi-resource-kubernetes/schema.json"; failed=1
    else
      log "generating the provider's embedded schema (VERSION=$PULUMI_KUBERNETES_VERSION go run generate.go)"
      t0=$(date +%s)
      (cd "$G" && VERSION="$PULUMI_KUBERNETES_VERSION" go run generate.go) >&2
      log "generated in $(( $(date +%s) - t0 ))s"
      build_bin "$K" ./cmd/pulumi-resource-kubernetes pulumi-resource-kubernetes "$K8S_VERSION_LDFLAG"
    fi
  else
    unavailable pulumi-resource-kubernetes "$j"; failed=1
  fi
fi

if [[ $failed == 1 ]] || ! have_all; then
  log "What to do: $WHAT_TO_DO"
  die "the Pulumi engine ${KEY} is incomplete (cache: $BIN)"
fi
# The sources are only needed while building; the Go module and build caches keep what matters.
rm -rf "$WORK"
install_plugins "$KEYDIR/home" "$BIN/pulumi" "$BIN/pulumi-resource-kubernetes"
log "engine ${KEY} ready: $BIN"
found "$BIN" "$KEYDIR/home"
