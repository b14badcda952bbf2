#!/usr/bin/env bash
# Deploy VERSION to staging: build, push, roll the staging pods.
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
version="${1:?usage: deploy-staging.sh VERSION}"
echo "==> deploying $version to staging"
for step in "building image auth-api:$version" "pushing image" "rolling staging pods"; do
  sleep "$PACE"; echo "    $step ... ok"
done
printf '%s\n' "$version" > "$STATE/staging_version"
echo "==> staging runs $version"
