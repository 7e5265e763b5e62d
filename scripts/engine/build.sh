#!/usr/bin/env bash
# Provides the Pulumi engine used by media-platform's end-to-end checks:
#   pulumi, pulumi-language-nodejs, pulumi-resource-kubernetes
# at the versions pinned in scripts/engine/versions.env.
#
# 1. If an official `pulumi` CLI of exactly PULUMI_VERSION is on PATH (with its language host
#    next to it) and the pulumi-resource-kubernetes plugin of PULUMI_KUBERNETES_VERSION is
#    installed (`pulumi plugin install resource kubernetes <version>`), those are used
#    (symlinked into <cache>/<key>/official-bin, whose path is printed).
# 2. Otherwise the three binaries are built with Go from the Go module proxy into
#       ${MEDIA_PLATFORM_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/media-platform/engine}/<pulumi>-k8s<k8s>/bin
#    building only what is missing. Each binary is written under a temporary name and moved
#    into place, so an interrupted build never leaves a broken binary behind.
#
# Progress goes to stderr; the LAST line of stdout is the bin directory:
#     BIN=$(scripts/engine/build.sh | tail -n 1)
# Most callers want:  source scripts/engine/env.sh
#
# Environment knobs:
#   MEDIA_PLATFORM_ENGINE_CACHE          cache root (default above)
#   MEDIA_PLATFORM_ENGINE_FORCE_BUILD=1  ignore an official CLI on PATH
#   PULUMI_SOURCE_GIT, PULUMI_KUBERNETES_SOURCE_GIT
#       optional git directories (clone or bare mirror) of pulumi/pulumi and
#       pulumi/pulumi-kubernetes containing the pinned commits. Used only when the Go module
#       proxy refuses the language host / provider module at the pinned commit.
#
# Known state of the Go module proxy reachable from this project's machines (Nov 2026): it serves
# pkg/v3 and sdk/v3 v3.259.0, so `pulumi` always builds (~7.5 min on 2 cores), but it refuses
# (403) the language host and provider/v4 modules at their pinned commits: without the two
# *_SOURCE_GIT directories the script builds `pulumi` and then exits 1 naming what is missing.
# With them: the language host builds in seconds after the CLI (shared Go build cache); the
# provider needs ~2.3 GB of module cache and 15-50 min. A partial mirror may lack the provider's
# schema.json: then a stub schema is embedded (render mode is unaffected; GetSchema is not).
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

PKG_CLI=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
MOD_PKG=github.com/pulumi/pulumi/pkg/v3
MOD_SDK=github.com/pulumi/pulumi/sdk/v3
MOD_NODEJS=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
MOD_K8S=github.com/pulumi/pulumi-kubernetes/provider/v4
MOD_K8S_SDK=github.com/pulumi/pulumi-kubernetes/sdk/v4
VERSION_LDFLAG="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_VERSION}"
K8S_VERSION_LDFLAG="-X ${MOD_K8S}/pkg/version.Version=${PULUMI_KUBERNETES_VERSION}"

# Exact module versions that the Go module proxy reachable from this project's machines refuses
# (403 "This module version is not available"; seen for some pseudo-versions and older releases),
# each with the nearest release it serves. Applied only after the proxy refused the original: "<module>@<version>=<module>@<version>".
FALLBACK_REPLACES=(
  "gocloud.dev@v0.46.1-0.20260810195832-b5401c07b5f1=gocloud.dev@v0.47.0"
  "github.com/fluxcd/pkg/ssa@v0.71.1-0.20260424094917-4f94dc680419=github.com/fluxcd/pkg/ssa@v0.73.0"
  "github.com/pulumi/pulumi/pkg/v3@v3.243.0=github.com/pulumi/pulumi/pkg/v3@v3.246.0"
)

# ---------------------------------------------------------------------------------------------
# 1. Official binaries?
# ---------------------------------------------------------------------------------------------
under_cache() { case "$1" in "$CACHE_ROOT"/*) return 0 ;; *) return 1 ;; esac; }

# The provider as `pulumi plugin install resource kubernetes <version>` puts it. (One found on PATH
# is not taken: its version cannot be read from the binary, as -trimpath builds omit -ldflags
# from their build info.)
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
  under_cache "$real" && return 1   # our own build (env.sh put it on PATH): not "official"
  v=$(timeout 30 "$p" version 2>/dev/null | tail -n 1) || return 1
  [[ "$v" == "v${PULUMI_VERSION}" ]] || { log "pulumi on PATH ($p) is $v, not v${PULUMI_VERSION}: not using it"; return 1; }
  dir=$(dirname "$real")
  [[ -x "$dir/pulumi-language-nodejs" ]] || { log "official pulumi at $p has no pulumi-language-nodejs next to it"; return 1; }
  k8s=$(find_official_k8s) || { log "official pulumi v${PULUMI_VERSION} found, but no pulumi-resource-kubernetes ${PULUMI_KUBERNETES_VERSION}"; return 1; }
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

# ---------------------------------------------------------------------------------------------
# 2. Build into the cache (one builder at a time per version key).
# ---------------------------------------------------------------------------------------------
have_all() { [[ -x "$BIN/pulumi" && -x "$BIN/pulumi-language-nodejs" && -x "$BIN/pulumi-resource-kubernetes" ]]; }

mkdir -p "$BIN"
exec 9>"$KEYDIR/.lock"
if ! flock -n 9; then
  log "another build holds $KEYDIR/.lock; waiting"
  flock 9
fi

if have_all; then
  log "engine ${KEY} already built: $BIN"
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || die "go is not installed; it is needed to build the Pulumi engine"
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED="${CGO_ENABLED:-0}"
LOCAL_GO=$(go env GOVERSION)
log "building engine ${KEY} into $BIN with ${LOCAL_GO} (module cache: $(go env GOMODCACHE))"

TMPFILES=()
cleanup() { local f; for f in "${TMPFILES[@]}"; do rm -f "$f"; done; }
trap cleanup EXIT

# Resolve (and download) what building PKG in module dir DIR needs. On a refused module version
# listed in FALLBACK_REPLACES, add that replace and retry; when a module needs a newer Go than
# the local one, raise the go line and let GOTOOLCHAIN=auto fetch that toolchain from the proxy.
resolve() {
  local dir=$1 pkg=$2 out mv r need applied
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    if out=$(cd "$dir" && go list -deps "$pkg" 2>&1 >/dev/null); then return 0; fi
    applied=0
    while read -r mv; do
      [[ -n "$mv" ]] || continue
      for r in "${FALLBACK_REPLACES[@]}"; do
        if [[ "${r%%=*}" == "$mv" ]]; then
          log "the proxy refused $mv; using ${r#*=} instead"
          (cd "$dir" && go mod edit -replace "$r")
          applied=1
        fi
      done
    done < <(grep -E '(403 Forbidden|not available|404 Not Found)' <<<"$out" |
               grep -oE '[^[:space:]]+@v[^[:space:]:]+: reading' | sed 's/: reading$//' | sort -u)
    # A released module that the checksum database (as reached through the proxy) does not
    # know: trust the proxy's copy of that module alone (its hash then lands in go.sum).
    while read -r mv; do
      [[ -n "$mv" ]] || continue
      case ",${GONOSUMDB:-}," in *",$mv,"*) continue ;; esac
      log "WARNING: the checksum database has no entry for $mv; adding it to GONOSUMDB"
      export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}$mv"
      applied=1
    done < <(grep -E 'sumdb.*(404 Not Found|410 Gone|not available)' <<<"$out" |
               grep -oE '^go: [^@[:space:]]+@[^:]+: verifying' | sed -E 's/^go: ([^@]+)@.*/\1/' | sort -u)
    if [[ $applied == 0 ]] && grep -q 'requires go >= ' <<<"$out" && [[ "$GOTOOLCHAIN" == local ]]; then
      need=$(grep -oE 'requires go >= [0-9][0-9.a-z]*' <<<"$out" | awk '{print $4}' | sort -V | tail -n 1)
      log "a module needs go >= $need (local: ${LOCAL_GO}); letting Go fetch that toolchain"
      (cd "$dir" && go mod edit -go="$need")
      export GOTOOLCHAIN=auto
      applied=1
    fi
    [[ $applied == 1 ]] || { printf '%s\n' "$out" >&2; return 1; }
  done
  printf '%s\n' "$out" >&2
  return 1
}

# go build DIR PKG OUTNAME LDFLAGS [TAGS]: build to a temp name, then move into place.
build_bin() {
  local dir=$1 pkg=$2 name=$3 ldflags=$4 tags=${5:-} tmp t0 t1
  tmp="$BIN/.${name}.tmp.$$"
  TMPFILES+=("$tmp")
  log "go build $pkg -> $BIN/$name (this takes minutes)"
  t0=$(date +%s)
  (cd "$dir" && go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$tmp" "$pkg")
  t1=$(date +%s)
  if [[ "$name" == pulumi ]]; then
    local v
    v=$("$tmp" version 2>/dev/null | tail -n 1)
    [[ "$v" == "v${PULUMI_VERSION}" ]] || die "built pulumi reports '$v', expected v${PULUMI_VERSION}"
  fi
  chmod 0755 "$tmp"
  mv -f "$tmp" "$BIN/$name"
  log "built $name in $((t1 - t0))s"
  printf '%s %s %ss %s\n' "$(date -u +%FT%TZ)" "$name" "$((t1 - t0))" "$LOCAL_GO" >>"$KEYDIR/build-times.log"
}

# extract_git GITDIR COMMIT SUBDIR DEST: copy SUBDIR at COMMIT to DEST (files absent from a
# partial mirror are reported and skipped).
extract_git() {
  local gitdir=$1 commit=$2 sub=$3 dest=$4 line meta path hash rel
  git -C "$gitdir" cat-file -e "${commit}^{commit}" 2>/dev/null || die "$gitdir does not contain commit $commit"
  rm -rf "$dest"; mkdir -p "$dest"
  while IFS= read -r -d '' line; do
    meta=${line%%$'\t'*}; path=${line#*$'\t'}
    [[ "$meta" == *" blob "* ]] || continue
    hash=${meta##* }
    rel=${path#"$sub"/}
    mkdir -p "$dest/$(dirname "$rel")"
    if ! git -C "$gitdir" cat-file blob "$hash" >"$dest/$rel" 2>/dev/null; then
      rm -f "$dest/$rel"
      log "note: $path is absent from $gitdir (skipped)"
    fi
  done < <(git -C "$gitdir" ls-tree -r -z "$commit" -- "$sub")
  chmod -R u+w "$dest"
}

# Commit time as used by Go pseudo-versions.
git_pseudo() { # GITDIR COMMIT MAJOR
  local ts
  ts=$(TZ=UTC git -C "$1" log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S "$2")
  echo "$3.0.0-${ts}-${2:0:12}"
}

# Non-local replace directives of a module's go.mod (as "old[@v]=new@v" for go mod edit).
module_replaces() { # MODULE@VERSION
  local gomod
  gomod=$(go mod download -json "$1" | jq -r '.GoMod // empty')
  [[ -n "$gomod" ]] || die "cannot download $1"
  go mod edit -json "$gomod" | jq -r '.Replace // [] | .[] | select(.New.Version != null)
      | "\(.Old.Path)\(if .Old.Version then "@" + .Old.Version else "" end)=\(.New.Path)@\(.New.Version)"'
}

command -v jq >/dev/null || die "jq is needed (apt-get install jq)"
mkdir -p "$WORK"
MISSING=()

# --- pulumi + pulumi-language-nodejs: one wrapper module ---------------------------------------
if [[ ! -x "$BIN/pulumi" || ! -x "$BIN/pulumi-language-nodejs" ]]; then
  W="$WORK/wrapper"
  rm -rf "$W"; mkdir -p "$W"
  (cd "$W" && go mod init media-platform-engine-wrapper >/dev/null 2>&1)
  log "wrapper module: $W"
  reps=$(cd "$W" && module_replaces "$MOD_PKG@v$PULUMI_VERSION" && module_replaces "$MOD_SDK@v$PULUMI_VERSION")
  for r in $reps; do
    (cd "$W" && go mod edit -replace "$r")
  done
  (cd "$W" && go mod edit -require "$MOD_PKG@v$PULUMI_VERSION" -require "$MOD_SDK@v$PULUMI_VERSION")

  # Language host: by commit from the proxy, else from a git source (PULUMI_SOURCE_GIT).
  NODEJS_OK=1
  if (cd "$W" && go mod download -json "$MOD_NODEJS@$PULUMI_COMMIT" >"$W/.nodejs.json" 2>/dev/null) &&
     [[ "$(jq -r '.Error // empty' "$W/.nodejs.json")" == "" ]]; then
    v=$(jq -r .Version "$W/.nodejs.json")
    log "language host module $MOD_NODEJS@$v (commit ${PULUMI_COMMIT:0:12}) from the Go module proxy"
    (cd "$W" && go mod edit -require "$MOD_NODEJS@$v")
  elif [[ -n "${PULUMI_SOURCE_GIT:-}" ]]; then
    log "the Go module proxy does not serve $MOD_NODEJS at commit ${PULUMI_COMMIT:0:12}"
    src="$WORK/src/pulumi-language-nodejs"
    log "extracting sdk/nodejs/cmd/pulumi-language-nodejs at ${PULUMI_COMMIT:0:12} from $PULUMI_SOURCE_GIT"
    extract_git "$PULUMI_SOURCE_GIT" "$PULUMI_COMMIT" sdk/nodejs/cmd/pulumi-language-nodejs "$src"
    v=$(git_pseudo "$PULUMI_SOURCE_GIT" "$PULUMI_COMMIT" v3)
    (cd "$W" && go mod edit -require "$MOD_NODEJS@$v" -replace "$MOD_NODEJS=$src")
  else
    NODEJS_OK=0
    MISSING+=("pulumi-language-nodejs: the Go module proxy refuses $MOD_NODEJS@${PULUMI_COMMIT}; set PULUMI_SOURCE_GIT to a git directory of pulumi/pulumi that has this commit")
  fi
  rm -f "$W/.nodejs.json"

  resolve "$W" "$PKG_CLI" || die "cannot resolve the dependencies of $PKG_CLI"
  [[ $NODEJS_OK == 0 ]] || resolve "$W" "$MOD_NODEJS" || die "cannot resolve the dependencies of $MOD_NODEJS"
  for m in "$MOD_PKG" "$MOD_SDK"; do
    got=$(cd "$W" && go list -m -f '{{.Version}}' "$m")
    [[ "$got" == "v$PULUMI_VERSION" ]] || die "$m resolved to $got, expected v$PULUMI_VERSION"
  done

  [[ -x "$BIN/pulumi" ]] || build_bin "$W" "$PKG_CLI" pulumi "$VERSION_LDFLAG" osusergo,grpcnotrace
  [[ $NODEJS_OK == 0 || -x "$BIN/pulumi-language-nodejs" ]] ||
    build_bin "$W" "$MOD_NODEJS" pulumi-language-nodejs "$VERSION_LDFLAG" osusergo,grpcnotrace
fi

# --- pulumi-resource-kubernetes: from a writable copy of the provider module ------------------
if [[ ! -x "$BIN/pulumi-resource-kubernetes" ]]; then
  K="$WORK/pulumi-kubernetes-provider"
  if (cd "$WORK" && go mod download -json "$MOD_K8S@$PULUMI_KUBERNETES_COMMIT" >"$WORK/.k8s.json" 2>/dev/null) &&
     [[ "$(jq -r '.Error // empty' "$WORK/.k8s.json")" == "" ]]; then
    d=$(jq -r .Dir "$WORK/.k8s.json")
    log "provider module $MOD_K8S@$(jq -r .Version "$WORK/.k8s.json") from the Go module proxy"
    rm -rf "$K"; cp -r "$d" "$K"; chmod -R u+w "$K"
  elif [[ -n "${PULUMI_KUBERNETES_SOURCE_GIT:-}" ]]; then
    log "the Go module proxy does not serve $MOD_K8S at commit ${PULUMI_KUBERNETES_COMMIT:0:12}"
    log "extracting provider/ at ${PULUMI_KUBERNETES_COMMIT:0:12} from $PULUMI_KUBERNETES_SOURCE_GIT"
    extract_git "$PULUMI_KUBERNETES_SOURCE_GIT" "$PULUMI_KUBERNETES_COMMIT" provider "$K"
  else
    K=""
    MISSING+=("pulumi-resource-kubernetes: the Go module proxy refuses $MOD_K8S@${PULUMI_KUBERNETES_COMMIT}; set PULUMI_KUBERNETES_SOURCE_GIT to a git directory of pulumi/pulumi-kubernetes that has this commit")
  fi
  rm -f "$WORK/.k8s.json"
fi

if [[ ! -x "$BIN/pulumi-resource-kubernetes" && -n "${K:-}" ]]; then

  # The provider's go.mod points sdk/v4 at ../sdk: use the released sdk/v4 instead.
  (cd "$K" && go mod edit -dropreplace "$MOD_K8S_SDK" -require "$MOD_K8S_SDK@v$PULUMI_KUBERNETES_VERSION")
  if local_r=$(cd "$K" && go mod edit -json | jq -r '.Replace // [] | .[] | select(.New.Version == null) | .Old.Path') && [[ -n "$local_r" ]]; then
    die "provider go.mod still has local replaces: $local_r"
  fi

  G="$K/cmd/pulumi-resource-kubernetes"
  if [[ ! -f "$G/schema.json" ]]; then
    # Only a partial git mirror lacks it (large file). The provider embeds the schema solely to
    # answer GetSchema (codegen, `pulumi package get-schema`) and for importing live objects.
    log "WARNING: schema.json is missing from the source: embedding a stub schema (GetSchema and import are degraded)"
    printf '{"name":"kubernetes","displayName":"Kubernetes","version":"%s","resources":{},"types":{},"functions":{}}\n' \
      "$PULUMI_KUBERNETES_VERSION" >"$G/schema.json"
  fi
  resolve "$K" github.com/pulumi/pulumi/pkg/v3/codegen/schema || die "cannot resolve the dependencies of generate.go"
  log "generating schema-embed.json and terraform-mapping-embed.json (VERSION=$PULUMI_KUBERNETES_VERSION)"
  (cd "$G" && VERSION="$PULUMI_KUBERNETES_VERSION" go run generate.go) >&2
  resolve "$K" ./cmd/pulumi-resource-kubernetes || die "cannot resolve the dependencies of the kubernetes provider"
  build_bin "$K" ./cmd/pulumi-resource-kubernetes pulumi-resource-kubernetes "$K8S_VERSION_LDFLAG"
fi

if ((${#MISSING[@]})); then
  for m in "${MISSING[@]}"; do log "cannot build $m"; done
  die "engine incomplete in $BIN (built: $(cd "$BIN" && echo *))"
fi
have_all || die "engine incomplete in $BIN"
# The sources are only needed while building; the Go module and build caches keep what matters.
rm -rf "$WORK"
log "engine ${KEY} ready: $BIN"
echo "$BIN"
