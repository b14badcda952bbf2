#!/usr/bin/env bash
# Deploy one batch of a rolling deploy; the last batch fixes production.
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
version="${1:?usage: deploy-rolling.sh VERSION BATCH [TOTAL]}"
batch="${2:?usage: deploy-rolling.sh VERSION BATCH [TOTAL]}"
total="${3:-}"; batch="${2%%/*}"
if [ -z "$total" ]; then
  case "$2" in */*) total="${2#*/}" ;; *) total=3 ;; esac
fi
echo "==> batch $batch/$total: deploying $version"
sleep "$PACE"; echo "    batch $batch/$total: instances restarted"
if [ "$batch" -ge "$total" ]; then set_state fixed "$version"; fi
echo "==> batch $batch/$total done"
