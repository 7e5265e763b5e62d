#!/usr/bin/env bash
# Provides the Pulumi engine media-platform runs (the main job, the end-to-end tests, the preview benchmark):
#   pulumi, pulumi-language-nodejs, pulumi-resource-kubernetes
# at the versions pinned in scripts/engine/versions.env. The first of these that works is used:
#
# 1. The official CLI: a `pulumi` of exactly PULUMI_VERSION on PATH, with its pulumi-language-nodejs next to
#    it, and the provider plugin installed by `pulumi plugin install resource kubernetes v<version>`.
#    (Symlinked into <cache>/<key>/official-bin, whose path is printed.) The normal case.
# 2. MEDIA_PLATFORM_ENGINE_BIN: a directory holding the three binaries (the pulumi in it must report the
#    pinned version).
# 3. The cache <cache>/<key>/bin (<cache> = MEDIA_PLATFORM_ENGINE_CACHE, default
#    ${XDG_CACHE_HOME:-$HOME/.cache}/media-platform/engine), building whatever is missing from the Go
#    module proxy (`go` needed), for machines that reach the proxy but not Pulumi's download site.
#    A binary whose module the proxy does not serve is reported with the proxy's answer, and the script
#    fails naming each missing binary (lines "[engine] <binary> unavailable: <reason>") and what to do.
#
# Progress goes to stderr; on success the LAST line of stdout is the bin directory:
#     BIN=$(scripts/engine/build.sh | tail -n 1)
# Most callers want:  source scripts/engine/env.sh
#
# Knobs: MEDIA_PLATFORM_ENGINE_CACHE (cache root), MEDIA_PLATFORM_ENGINE_BIN (step 2),
#        MEDIA_PLATFORM_ENGINE_FORCE_BUILD=1 (skip step 1).
#
# The proxy reachable from this project's build machines (Nov 2026) serves pkg/v3 and sdk/v3 v3.259.0, so
# `pulumi` builds (~7.5 min on 2 cores, ~1 GB of modules), but answers 403 "This module version is not
# available" for the language host and for provider/v4: there the script builds `pulumi` (cached for
# later) and then fails naming those two. Install the official CLI instead (README, "Running the real engine").
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/engine/versions.env
source "$HERE/versions.env"

log() { printf '[engine] %s\n' "$*" >&2; }
die() { printf '[engine] ERROR: %s\n' "$*" >&2; exit 1; }

export PULUMI_SKIP_UPDATE_CHECK=true

KEY="${PULUMI_VERSION}-k8s${PULUMI_KUBERNETES_VERSION}"
CACHE_ROOT="${MEDIA_PLATFORM_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/media-platform/engine}"
KEYDIR="$CACHE_ROOT/$KEY"
BIN="$KEYDIR/bin"
WORK="$KEYDIR/work"
BINARIES=(pulumi pulumi-language-nodejs pulumi-resource-kubernetes)

PKG_CLI=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
MOD_PKG=github.com/pulumi/pulumi/pkg/v3
MOD_SDK=github.com/pulumi/pulumi/sdk/v3
MOD_NODEJS=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
MOD_K8S=github.com/pulumi/pulumi-kubernetes/provider/v4
MOD_K8S_SDK=github.com/pulumi/pulumi-kubernetes/sdk/v4
VERSION_LDFLAG="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_VERSION}"
K8S_VERSION_LDFLAG="-X ${MOD_K8S}/pkg/version.Version=${PULUMI_KUBERNETES_VERSION}"

WHAT_TO_DO="Install the official Pulumi CLI v${PULUMI_VERSION} (https://www.pulumi.com/docs/install/, e.g.
  curl -fsSL https://get.pulumi.com | sh -s -- --version ${PULUMI_VERSION}) and its Kubernetes provider
  (pulumi plugin install resource kubernetes v${PULUMI_KUBERNETES_VERSION}), with that pulumi on PATH;
  or set MEDIA_PLATFORM_ENGINE_BIN to a directory holding pulumi, pulumi-language-nodejs and
  pulumi-resource-kubernetes of those versions."

# ---------------------------------------------------------------------------------------------------------
# 1. The official CLI on PATH.
# ---------------------------------------------------------------------------------------------------------
under_cache() { case "$1" in "$CACHE_ROOT"/*) return 0 ;; *) return 1 ;; esac; }

# The provider as `pulumi plugin install` puts it. (One on PATH is not taken: its version cannot be read.)
find_official_k8s() {
  local p
  p="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-kubernetes-v${PULUMI_KUBERNETES_VERSION}/pulumi-resource-kubernetes"
  [[ -x "$p" ]] || return 1
  echo "$p"
}

use_official() {
  [[ "${MEDIA_PLATFORM_ENGINE_FORCE_BUILD:-}" == 1 ]] && return 1
  local p real v dir k8s
  p=$(type -P pulumi) || return 1
  real=$(readlink -f "$p")
  under_cache "$real" && return 1   # a binary of step 3 that env.sh put on PATH: not "official"
  v=$(timeout 30 "$p" version 2>/dev/null | tail -n 1) || return 1
  [[ "$v" == "v${PULUMI_VERSION}" ]] || { log "pulumi on PATH ($p) is $v, not v${PULUMI_VERSION}: not using it"; return 1; }
  dir=$(dirname "$real")
  [[ -x "$dir/pulumi-language-nodejs" ]] || { log "pulumi at $p has no pulumi-language-nodejs next to it: not using it"; return 1; }
  k8s=$(find_official_k8s) || {
    log "pulumi v${PULUMI_VERSION} found at $p, but not the Kubernetes provider: run"
    log "  pulumi plugin install resource kubernetes v${PULUMI_KUBERNETES_VERSION}"
    return 1
  }
  local ob="$KEYDIR/official-bin"
  mkdir -p "$ob"
  ln -sfn "$real" "$ob/pulumi"
  ln -sfn "$dir/pulumi-language-nodejs" "$ob/pulumi-language-nodejs"
  ln -sfn "$k8s" "$ob/pulumi-resource-kubernetes"
  log "using the official pulumi v${PULUMI_VERSION} ($real) and pulumi-resource-kubernetes ($k8s)"
  echo "$ob"
}

if out=$(use_official); then
  echo "$out"
  exit 0
fi

# ---------------------------------------------------------------------------------------------------------
# 2. An explicit bin directory.
# ---------------------------------------------------------------------------------------------------------
if [[ -n "${MEDIA_PLATFORM_ENGINE_BIN:-}" ]]; then
  dir=$MEDIA_PLATFORM_ENGINE_BIN
  for b in "${BINARIES[@]}"; do
    [[ -x "$dir/$b" ]] || die "MEDIA_PLATFORM_ENGINE_BIN=$dir has no executable $b"
  done
  v=$(timeout 30 "$dir/pulumi" version 2>/dev/null | tail -n 1) || v="(no answer)"
  [[ "$v" == "v${PULUMI_VERSION}" ]] || die "MEDIA_PLATFORM_ENGINE_BIN=$dir: its pulumi reports $v, expected v${PULUMI_VERSION}"
  log "using the engine in MEDIA_PLATFORM_ENGINE_BIN=$dir"
  echo "$dir"
  exit 0
fi

# ---------------------------------------------------------------------------------------------------------
# 3. The cache, building what is missing from the Go module proxy (one builder at a time per version key).
# ---------------------------------------------------------------------------------------------------------
have_all() { local b; for b in "${BINARIES[@]}"; do [[ -x "$BIN/$b" ]] || return 1; done; }

mkdir -p "$BIN"
exec 9>"$KEYDIR/.lock"
if ! flock -n 9; then
  log "another build holds $KEYDIR/.lock; waiting"
  flock 9
fi

if have_all; then
  log "engine ${KEY} found in the cache: $BIN"
  echo "$BIN"
  exit 0
fi

declare -A UNAVAILABLE=()
report_and_fail() {
  local b
  for b in "${BINARIES[@]}"; do
    [[ -z "${UNAVAILABLE[$b]:-}" ]] || log "$b unavailable: ${UNAVAILABLE[$b]}"
  done
  log "What to do: $WHAT_TO_DO"
  die "the Pulumi engine ${KEY} is incomplete (cache: $BIN)"
}

if ! command -v go >/dev/null; then
  for b in "${BINARIES[@]}"; do [[ -x "$BIN/$b" ]] || UNAVAILABLE[$b]="go is not installed, so it cannot be built from the Go module proxy"; done
  report_and_fail
fi
command -v jq >/dev/null || die "jq is needed to build the engine (apt-get install jq)"
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED="${CGO_ENABLED:-0}"
GOPROXY_SHOWN=$(go env GOPROXY)
log "building what is missing of engine ${KEY} into $BIN with $(go env GOVERSION) (GOPROXY=$GOPROXY_SHOWN, module cache $(go env GOMODCACHE))"

TMPFILES=()
cleanup() { local f; for f in "${TMPFILES[@]}"; do rm -f "$f"; done; }
trap cleanup EXIT

# One line from a go command's error output: the proxy's answer (reading …: 403 Forbidden, server response: …).
one_line() { tr '\n\t' '  ' | sed -E 's/  +/ /g; s/ $//'; }

# proxy_answer MODULE@VERSION ERROR: the proxy's answer in one line, e.g. the Go module proxy
# https://proxy.golang.org answered "403 Forbidden: This module version is not available." for <module>@<version>
proxy_answer() {
  local reading status response
  reading=$(grep -oE 'reading https?://[^ ]+: .*' <<<"$2" | head -n 1) || true
  response=$(grep -oE 'server response: .*' <<<"$2" | head -n 1 | sed 's/^server response: //') || true
  if [[ -n "$reading" ]]; then
    status=${reading#reading * }
    printf 'the Go module proxy %s answered "%s%s" for %s\n' "$(grep -oE 'https?://[^/]+' <<<"$reading" | head -n 1)" \
      "$status" "${response:+: $response}" "$1"
  else
    printf 'go mod download %s failed: %s\n' "$1" "$(one_line <<<"$2")"
  fi
}

# probe MODULE@VERSION: downloads the module; prints its `go mod download -json` record, or fails printing
# the proxy's answer.
probe() {
  local json err
  json=$(go mod download -json "$1" 2>&1) || true
  err=$(jq -r '.Error // empty' <<<"$json" 2>/dev/null) || err=$json
  [[ -n "$json" ]] || err="no answer"
  if [[ -n "$err" ]]; then proxy_answer "$1" "$err"; return 1; fi
  echo "$json"
}

# resolve DIR PKG: resolves and downloads what building PKG in module DIR needs; on failure prints the
# first line naming a module the proxy refused (or the last error line).
resolve() {
  local out
  if out=$(cd "$1" && go list -deps "$2" 2>&1 >/dev/null); then return 0; fi
  grep -m1 -E '(403|404|410|not available|verifying)' <<<"$out" | one_line || tail -n 1 <<<"$out" | one_line
  return 1
}

# build_bin DIR PKG NAME LDFLAGS [TAGS]: builds to a temporary name, then moves it into place (an interrupted
# build never leaves a broken binary), and logs the time.
build_bin() {
  local dir=$1 pkg=$2 name=$3 ldflags=$4 tags=${5:-} tmp t0 t1 v
  tmp="$BIN/.${name}.tmp.$$"
  TMPFILES+=("$tmp")
  log "go build $pkg -> $BIN/$name (this takes minutes)"
  t0=$(date +%s)
  (cd "$dir" && go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$tmp" "$pkg") >&2
  t1=$(date +%s)
  if [[ "$name" == pulumi ]]; then
    v=$("$tmp" version 2>/dev/null | tail -n 1)
    [[ "$v" == "v${PULUMI_VERSION}" ]] || die "the built pulumi reports '$v', expected v${PULUMI_VERSION}"
  fi
  chmod 0755 "$tmp"
  mv -f "$tmp" "$BIN/$name"
  log "built $name in $((t1 - t0))s"
  printf '%s %s %ss %s\n' "$(date -u +%FT%TZ)" "$name" "$((t1 - t0))" "$(go env GOVERSION)" >>"$KEYDIR/build-times.log"
}

# Non-local replace directives of a module's go.mod, as old[@v]=new@v for go mod edit.
module_replaces() { # GOMOD-FILE
  go mod edit -json "$1" | jq -r '.Replace // [] | .[] | select(.New.Version != null)
      | "\(.Old.Path)\(if .Old.Version then "@" + .Old.Version else "" end)=\(.New.Path)@\(.New.Version)"'
}

mkdir -p "$WORK"

# Probe first (seconds), so what is missing is known before the long builds.
NODEJS_JSON="" K8S_JSON=""
if [[ ! -x "$BIN/pulumi-language-nodejs" ]]; then
  if NODEJS_JSON=$(cd "$WORK" && probe "$MOD_NODEJS@$PULUMI_COMMIT"); then :; else UNAVAILABLE[pulumi-language-nodejs]=$NODEJS_JSON; NODEJS_JSON=""; fi
fi
if [[ ! -x "$BIN/pulumi-resource-kubernetes" ]]; then
  if K8S_JSON=$(cd "$WORK" && probe "$MOD_K8S@$PULUMI_KUBERNETES_COMMIT"); then :; else UNAVAILABLE[pulumi-resource-kubernetes]=$K8S_JSON; K8S_JSON=""; fi
fi
# Without the language host or the provider the CLI alone runs nothing: do not spend minutes building it.
if [[ ${#UNAVAILABLE[@]} -gt 0 ]]; then
  for b in "${BINARIES[@]}"; do
    [[ -x "$BIN/$b" || -n "${UNAVAILABLE[$b]:-}" ]] || UNAVAILABLE[$b]="not built: the engine cannot be completed without the binaries above"
  done
  report_and_fail
fi

# --- pulumi (+ pulumi-language-nodejs when served): one wrapper module -------------------------------------
# pkg/v3's go.mod replaces sdk/v3 with ../sdk, so `go install pkg@version` refuses; a wrapper requiring pkg/v3
# and sdk/v3 at the same tag, with their non-local replaces copied, builds the same CLI.
if [[ ! -x "$BIN/pulumi" || -n "$NODEJS_JSON" ]]; then
  W="$WORK/wrapper"
  rm -rf "$W"; mkdir -p "$W"
  (cd "$W" && go mod init media-platform-engine-wrapper >/dev/null 2>&1)
  wrapper_ok=1
  for m in "$MOD_PKG" "$MOD_SDK"; do
    if j=$(cd "$W" && probe "$m@v$PULUMI_VERSION"); then
      for r in $(module_replaces "$(jq -r .GoMod <<<"$j")"); do (cd "$W" && go mod edit -replace "$r"); done
    else
      wrapper_ok=0
      [[ -x "$BIN/pulumi" ]] || UNAVAILABLE[pulumi]=$j
      [[ -z "$NODEJS_JSON" ]] || UNAVAILABLE[pulumi-language-nodejs]=$j
    fi
  done
  if [[ $wrapper_ok == 1 ]]; then
    (cd "$W" && go mod edit -require "$MOD_PKG@v$PULUMI_VERSION" -require "$MOD_SDK@v$PULUMI_VERSION")
    if [[ -n "$NODEJS_JSON" ]]; then
      (cd "$W" && go mod edit -require "$MOD_NODEJS@$(jq -r .Version <<<"$NODEJS_JSON")")
    fi
    if ! why=$(resolve "$W" "$PKG_CLI"); then
      [[ -x "$BIN/pulumi" ]] || UNAVAILABLE[pulumi]="cannot resolve its dependencies: $why"
    else
      for m in "$MOD_PKG" "$MOD_SDK"; do
        got=$(cd "$W" && go list -m -f '{{.Version}}' "$m")
        [[ "$got" == "v$PULUMI_VERSION" ]] || die "$m resolved to $got, expected v$PULUMI_VERSION"
      done
      [[ -x "$BIN/pulumi" ]] || build_bin "$W" "$PKG_CLI" pulumi "$VERSION_LDFLAG" osusergo,grpcnotrace
    fi
    if [[ -n "$NODEJS_JSON" ]]; then
      if why=$(resolve "$W" "$MOD_NODEJS"); then
        build_bin "$W" "$MOD_NODEJS" pulumi-language-nodejs "$VERSION_LDFLAG" osusergo,grpcnotrace
      else
        UNAVAILABLE[pulumi-language-nodejs]="cannot resolve its dependencies: $why"
      fi
    fi
  fi
fi

# --- pulumi-resource-kubernetes: from a writable copy of the provider module ---------------------------------
# Its go.mod replaces sdk/v4 with ../sdk (the released sdk/v4 of the same version is used instead), and its
# main embeds files that cmd/pulumi-resource-kubernetes/generate.go produces from the module's schema.json.
if [[ -n "$K8S_JSON" ]]; then
  K="$WORK/pulumi-kubernetes-provider"
  rm -rf "$K"; cp -r "$(jq -r .Dir <<<"$K8S_JSON")" "$K"; chmod -R u+w "$K"
  (cd "$K" && go mod edit -dropreplace "$MOD_K8S_SDK" -require "$MOD_K8S_SDK@v$PULUMI_KUBERNETES_VERSION")
  local_r=$(cd "$K" && go mod edit -json | jq -r '.Replace // [] | .[] | select(.New.Version == null) | .Old.Path')
  G="$K/cmd/pulumi-resource-kubernetes"
  if [[ -n "$local_r" ]]; then
    UNAVAILABLE[pulumi-resource-kubernetes]="its go.mod replaces modules with local folders outside the module: $(one_line <<<"$local_r")"
  elif [[ ! -f "$G/schema.json" ]]; then
    UNAVAILABLE[pulumi-resource-kubernetes]="the module served by the proxy has no cmd/pulumi-resource-kubernetes/schema.json to generate from"
  elif ! why=$(resolve "$K" github.com/pulumi/pulumi/pkg/v3/codegen/schema); then
    UNAVAILABLE[pulumi-resource-kubernetes]="cannot resolve the dependencies of its generator: $why"
  else
    log "generating schema-embed.json and terraform-mapping-embed.json (VERSION=$PULUMI_KUBERNETES_VERSION)"
    (cd "$G" && VERSION="$PULUMI_KUBERNETES_VERSION" go run generate.go) >&2
    if why=$(resolve "$K" ./cmd/pulumi-resource-kubernetes); then
      build_bin "$K" ./cmd/pulumi-resource-kubernetes pulumi-resource-kubernetes "$K8S_VERSION_LDFLAG"
    else
      UNAVAILABLE[pulumi-resource-kubernetes]="cannot resolve its dependencies: $why"
    fi
  fi
fi

if ! have_all; then
  for b in "${BINARIES[@]}"; do
    [[ -x "$BIN/$b" || -n "${UNAVAILABLE[$b]:-}" ]] || UNAVAILABLE[$b]="not built (see the messages above)"
  done
  report_and_fail
fi
# The sources are only needed while building; the Go module and build caches keep what matters.
rm -rf "$WORK"
log "engine ${KEY} ready: $BIN"
echo "$BIN"
