// A second real SCIM 2.0 service provider for tests, run as a child process
// (test/support/scimServers.ts): Better Auth 1.7.5 with its SCIM plugin (@better-auth/scim 1.7.5) on
// its in-memory adapter, served by node:http through better-auth/node. Nothing SCIM here is ours:
// we only seed users through its own SCIM API and read its tables for /__state.
//
// Its packages live in test/support/scim/node_modules (test/support/scim/package.json, installed by
// scripts/deps.sh or `npm ci --prefix test/support/scim`), not in the root package: Better Auth's
// core wants jose@^6 as a peer where the root pins jose@5.10.0, and it brings zod 4.
//
// Config: env SCIM_SERVER_CONFIG = {"token": "...", "users": [...]} as for scimmyServer.cjs.
// SCIM base path: /scim/v2 (Better Auth's basePath is set to "/"; its default would be
// /api/auth/scim/v2). The token: @better-auth/scim 1.7.5 takes static bearer credentials per
// connection in code, so the configured token is accepted as is (one connection "tests", one
// credential). On 127.0.0.1, an OS-chosen port; prints one line `LISTENING <port>` when ready.
// Test-only, non-SCIM: GET /__state (same bearer token), the same shape as scimmyServer.cjs's.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { scim } from '@better-auth/scim';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { toNodeHandler } from 'better-auth/node';

const config = JSON.parse(process.env.SCIM_SERVER_CONFIG ?? '{}');
if (typeof config.token !== 'string' || config.token === '') {
	process.stderr.write('SCIM_SERVER_CONFIG needs a non-empty "token"\n');
	process.exit(2);
}
const TOKEN = config.token;

/** Every request that changed a SCIM user, in order: { method, id, at } (at: ms since the epoch). */
const mutations = [];
/** The memory adapter's tables: { [model]: row[] }. */
const db = {};

let handle = (_req, res) => res.writeHead(503).end();
const server = createServer((req, res) => handle(req, res));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const origin = `http://127.0.0.1:${port}`;

const auth = betterAuth({
	baseURL: origin,
	basePath: '/',
	secret: randomBytes(32).toString('hex'),
	database: memoryAdapter(db),
	telemetry: { enabled: false },
	// stdout carries the LISTENING line only.
	logger: { log: (level, message) => process.stderr.write(`[better-auth ${level}] ${message}\n`) },
	plugins: [
		scim({ connections: [{ id: 'tests', credentials: [{ id: 'tests-token', token: TOKEN }] }] }),
	],
});
// The memory adapter finds only the tables that exist: create every table of the schema, empty.
for (const table of Object.values((await auth.$context).tables)) db[table.modelName] ??= [];

for (const seed of config.users ?? []) {
	const user = {
		schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
		userName: seed.userName,
		active: seed.active ?? true,
	};
	if (seed.displayName !== undefined) user.displayName = seed.displayName;
	if (seed.externalId !== undefined) user.externalId = seed.externalId;
	if (seed.emails !== undefined && seed.emails.length > 0) {
		user.emails = seed.emails.map((value, index) =>
			// Secondary addresses carry no type: Better Auth refuses two emails of one type.
			index === 0 ? { value, type: 'work', primary: true } : { value },
		);
	}
	const response = await auth.handler(
		new Request(`${origin}/scim/v2/Users`, {
			method: 'POST',
			headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' },
			body: JSON.stringify(user),
		}),
	);
	if (response.status !== 201) {
		process.stderr.write(`seeding ${seed.userName}: ${response.status} ${await response.text()}\n`);
		process.exit(3);
	}
}

/** A SCIM user row as compared for changes (updatedAt alone is no change). */
const fingerprint = ({ updatedAt: _updatedAt, ...row }) => JSON.stringify(row);
let known = new Map(db.scimUser.map((row) => [row.id, fingerprint(row)]));

/** Records every SCIM user added, changed or gone since the last look, as done by `method`. */
function recordChanges(method) {
	const now = new Map(db.scimUser.map((row) => [row.id, fingerprint(row)]));
	const at = Date.now();
	for (const [id, print] of now) if (known.get(id) !== print) mutations.push({ method, id, at });
	for (const id of known.keys()) if (!now.has(id)) mutations.push({ method, id, at });
	known = now;
}

function authorised(req) {
	const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
	return match !== null && match[1] === TOKEN;
}

const authHandler = toNodeHandler(auth);
handle = (req, res) => {
	const path = (req.url ?? '/').split('?')[0];
	if (req.method === 'GET' && path === '/__state') {
		if (!authorised(req)) {
			res.writeHead(401, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ error: 'Bearer token missing or not valid' }));
			return;
		}
		const users = db.scimUser.map((row) => ({
			id: row.id,
			userName: row.userName,
			emails: JSON.parse(row.serializedEmails ?? '[]').map((email) => email.value),
			active: row.active,
			...(row.externalId == null ? {} : { externalId: row.externalId }),
		}));
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify({ users, mutations }));
		return;
	}
	// A change is looked for when the answer is done (or the client gone): the table after the
	// request against the table before. Concurrent writes to one user may be counted as one.
	if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method) && path.startsWith('/scim/v2/')) {
		res.once('close', () => recordChanges(req.method));
	}
	authHandler(req, res);
};

process.stdout.write(`LISTENING ${port}\n`);
const stop = () => {
	server.close(() => process.exit(0));
	server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
