#!/usr/bin/env bash
# Deploy VERSION to all of production at once: the service recovers.
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
version="${1:?usage: deploy-production.sh VERSION}"
echo "==> deploying $version to production (3 instances)"
for i in 1 2 3; do
  sleep "$PACE"; echo "    auth-api-$i: pulled $version, restarted, healthy"
done
set_state fixed "$version"
echo "==> production runs $version"
