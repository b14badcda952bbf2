#!/usr/bin/env bash
# Roll production back to VERSION: the service breaks again.
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
version="${1:?usage: rollback.sh VERSION}"
echo "==> rolling production back to $version"
for i in 1 2 3; do
  sleep "$PACE"; echo "    auth-api-$i: restored $version"
done
set_state broken "$version"
echo "==> production runs $version"
