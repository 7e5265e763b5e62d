# shellcheck shell=bash
# Source me:  source scripts/engine/env.sh
# Resolves the pinned Pulumi engine through scripts/engine/build.sh (the official CLI, else
# MEDIA_PLATFORM_ENGINE_BIN, else the version-keyed cache, building what the Go module proxy serves),
# exports its directory as MEDIA_PLATFORM_ENGINE_BIN and puts it first on PATH, sets PULUMI_HOME to the
# engine's plugin home when it has its own (steps 2 and 3 of build.sh), and turns the engine's update check and
# automatic plugin downloads off. Returns 1 (with build.sh's reasons) when it cannot.
_mp_engine_out=$("$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/build.sh") || {
  echo "scripts/engine/env.sh: the Pulumi engine is not available (see the messages above)" >&2
  unset _mp_engine_out
  # shellcheck disable=SC2317  # exit: only when run instead of sourced
  return 1 2>/dev/null || exit 1
}
MEDIA_PLATFORM_ENGINE_BIN=$(sed -n 's/^MEDIA_PLATFORM_ENGINE_BIN=//p' <<<"$_mp_engine_out" | tail -n 1)
_mp_home=$(sed -n 's/^MEDIA_PLATFORM_PULUMI_HOME=//p' <<<"$_mp_engine_out" | tail -n 1)
if [[ -n "$_mp_home" ]]; then export PULUMI_HOME="$_mp_home"; fi
unset _mp_engine_out _mp_home
case ":$PATH:" in
  *":$MEDIA_PLATFORM_ENGINE_BIN:"*) ;;
  *) PATH="$MEDIA_PLATFORM_ENGINE_BIN:$PATH" ;;
esac
export PATH MEDIA_PLATFORM_ENGINE_BIN
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
