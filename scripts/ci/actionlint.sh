#!/usr/bin/env bash
# Lints the GitHub workflows (.github/workflows, and the local actions they use) with actionlint, built from
# the Go module proxy and cached outside the repository by version (like scripts/engine):
#   ${MEDIA_PLATFORM_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/media-platform/tools}/actionlint-v<version>/actionlint
# actionlint also runs shellcheck on `run:` scripts when shellcheck is installed.
#
# When actionlint cannot be had (no go, the proxy refuses it), prints a loud "actionlint NOT RUN: <reason>"
# and exits 0, so CI stays green; when it can, its findings fail (exit 1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# The version the Go module proxy serves (`go list -m github.com/rhysd/actionlint@latest`, Nov 2026).
ACTIONLINT_VERSION=1.7.12

DIR="${MEDIA_PLATFORM_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/media-platform/tools}/actionlint-v${ACTIONLINT_VERSION}"
BIN="$DIR/actionlint"

not_run() {
  local bar
  bar=$(printf '!%.0s' {1..100})
  printf '%s\nactionlint NOT RUN: %s\n%s\n' "$bar" "$1" "$bar" >&2
  exit 0
}

if [[ ! -x "$BIN" ]]; then
  command -v go >/dev/null || not_run "go is not installed, so actionlint v${ACTIONLINT_VERSION} cannot be built from the Go module proxy"
  mkdir -p "$DIR"
  tmp=$(mktemp -d "$DIR/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "[actionlint] building github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION} into $DIR" >&2
  if ! out=$(GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION}" 2>&1); then
    why=$(grep -m1 -E '(403|404|410|not available|server response)' <<<"$out" || tail -n 1 <<<"$out")
    not_run "go install github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION} failed: $(tr '\n\t' '  ' <<<"$why")"
  fi
  mv -f "$tmp/actionlint" "$BIN"
fi

command -v shellcheck >/dev/null || echo "[actionlint] shellcheck is not installed: run: scripts are not shellchecked" >&2
echo "[actionlint] $("$BIN" --version | head -n 1) on .github/workflows" >&2
"$BIN" -no-color
echo "[actionlint] no findings" >&2
