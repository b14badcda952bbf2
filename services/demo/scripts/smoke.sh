#!/usr/bin/env bash
# Smoke-test production: /health passes and five logins succeed.
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
echo "==> smoke test against $BASE_URL"
exec "$PY" - "$BASE_URL" <<'EOF'
import json, sys, urllib.error, urllib.request
base, failed = sys.argv[1], 0
def call(path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=3) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except OSError as err:
        return 0, str(err).encode()
status, body = call("/health")
health = json.loads(body or b"{}").get("status", "?") if status else "unreachable"
print(f"    GET /health -> {status} {health}")
failed += health != "pass"
for i in range(1, 6):
    status, _ = call("/api/auth/login", {"email": "smoke@example.com", "password": "smoke"})
    print(f"    POST /api/auth/login #{i} -> {status}")
    failed += status != 200
print("==> smoke " + ("FAILED" if failed else "passed") + f" ({failed} failing)")
sys.exit(1 if failed else 0)
EOF
