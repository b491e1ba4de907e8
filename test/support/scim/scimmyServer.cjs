// A real SCIM 2.0 service provider for tests, run as a child process (test/support/scimServers.ts):
// scimmy 1.3.5 (resources, schemas, filters, PatchOp, ListResponse, error messages) served by
// scimmy-routers 1.3.2 on Express 4, users kept in a Map. Only the ingress/egress/degress handlers
// (storage) and the bearer check are ours; parsing, filtering, patching, paging and the answers are
// the libraries'. On 127.0.0.1, an OS-chosen port; prints one line `LISTENING <port>` when ready.
//
// Config: env SCIM_SERVER_CONFIG = {"token": "...", "users": [{userName, emails?, active?,
// externalId?, displayName?}]}. SCIM base path: /scim/v2. Test-only, non-SCIM: GET /__state (same
// bearer token) = {users: [{id, userName, emails, active, externalId}], mutations: [{method, id, at}]}.
'use strict';
const { randomUUID } = require('node:crypto');
const express = require('express');
const { SCIMMYRouters, SCIMMY } = require('scimmy-routers');

const config = JSON.parse(process.env.SCIM_SERVER_CONFIG ?? '{}');
if (typeof config.token !== 'string' || config.token === '') {
	process.stderr.write('SCIM_SERVER_CONFIG needs a non-empty "token"\n');
	process.exit(2);
}
const TOKEN = config.token;

/** id -> { attributes (the SCIM user without id/meta/schemas), created, lastModified } */
const users = new Map();
/** Every request that changed a user, in order: { method, id, at } (at: ms since the epoch). */
const mutations = [];

for (const seed of config.users ?? []) {
	const id = randomUUID();
	const now = new Date().toISOString();
	const attributes = { userName: seed.userName, active: seed.active ?? true };
	if (seed.displayName !== undefined) attributes.displayName = seed.displayName;
	if (seed.externalId !== undefined) attributes.externalId = seed.externalId;
	if (seed.emails !== undefined && seed.emails.length > 0) {
		attributes.emails = seed.emails.map((value, index) =>
			// Secondary addresses carry no type: Better Auth refuses two emails of one type.
			index === 0 ? { value, type: 'work', primary: true } : { value },
		);
	}
	users.set(id, { attributes, created: now, lastModified: now });
}

/** What scimmy gets from egress: the stored attributes plus id and meta dates (no meta.version). */
function toScim(id, stored) {
	return {
		...structuredClone(stored.attributes),
		id,
		meta: { created: new Date(stored.created), lastModified: new Date(stored.lastModified) },
	};
}

/** A scimmy "in" User instance as plain stored attributes (the read-only id/meta/schemas left out). */
function attributesOf(instance) {
	const plain = JSON.parse(JSON.stringify(instance));
	delete plain.id;
	delete plain.meta;
	delete plain.schemas;
	return plain;
}

function notFound(id) {
	return new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);
}

SCIMMY.Resources.declare(SCIMMY.Resources.User)
	.egress((resource) => {
		if (resource.id !== undefined) {
			const stored = users.get(resource.id);
			if (stored === undefined) throw notFound(resource.id);
			return toScim(resource.id, stored);
		}
		const all = [...users].map(([id, stored]) => toScim(id, stored));
		if (resource.filter === undefined) return all;
		// The library's own filter matching (SCIMMY.Types.Filter#match), as scimmy's docs advise, one
		// user at a time: scimmy 1.3.5's match() throws a TypeError for the whole list when one user
		// lacks the complex attribute a filter names (`emails.value eq "x"` and a user without emails
		// -> "Cannot convert undefined or null to object", answered 400). Such a user is no match.
		return all.filter((user) => {
			try {
				return resource.filter.match([user]).length > 0;
			} catch (error) {
				if (error instanceof TypeError) return false;
				throw error;
			}
		});
	})
	.ingress((resource, instance, ctx) => {
		const attributes = attributesOf(instance);
		const clash = [...users].find(
			([id, stored]) => id !== resource.id && stored.attributes.userName === attributes.userName,
		);
		if (clash !== undefined)
			throw new SCIMMY.Types.Error(409, 'uniqueness', `userName ${attributes.userName} is taken`);
		const now = new Date().toISOString();
		if (resource.id === undefined) {
			const id = randomUUID();
			const stored = { attributes, created: now, lastModified: now };
			users.set(id, stored);
			mutations.push({ method: ctx.method, id, at: Date.now() });
			return toScim(id, stored);
		}
		const stored = users.get(resource.id);
		if (stored === undefined) throw notFound(resource.id);
		// Only a real change is a mutation (scimmy calls ingress for a PATCH that changes nothing too).
		if (JSON.stringify(attributes) !== JSON.stringify(stored.attributes)) {
			stored.attributes = attributes;
			stored.lastModified = now;
			mutations.push({ method: ctx.method, id: resource.id, at: Date.now() });
		}
		return toScim(resource.id, stored);
	})
	.degress((resource, ctx) => {
		if (!users.delete(resource.id)) throw notFound(resource.id);
		mutations.push({ method: ctx.method, id: resource.id, at: Date.now() });
	});

/** `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1), or throws. */
function authenticate(req) {
	const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
	if (match === null || match[1] !== TOKEN) throw new Error('Bearer token missing or not valid');
}

const app = express();

app.get('/__state', (req, res) => {
	try {
		authenticate(req);
	} catch (error) {
		res.status(401).json({ error: error.message });
		return;
	}
	res.json({
		users: [...users].map(([id, { attributes }]) => ({
			id,
			userName: attributes.userName,
			emails: (attributes.emails ?? []).map((email) => email.value),
			active: attributes.active,
			externalId: attributes.externalId,
		})),
		mutations,
	});
});

app.use(
	'/scim/v2',
	new SCIMMYRouters({
		type: 'bearer',
		handler: (req) => {
			authenticate(req);
			return undefined; // no /Me user: scimmy-routers answers /Me with 501
		},
		// Handlers see the HTTP method that caused them (a Bulk request's operations all say POST).
		context: (req) => ({ method: req.method }),
		// meta.location as the client addressed us (through a proxy too, since its Host is forwarded).
		baseUri: (req) => `${req.protocol}://${req.get('host')}`,
	}),
);

const server = app.listen(0, '127.0.0.1', () => {
	process.stdout.write(`LISTENING ${server.address().port}\n`);
});
const stop = () => {
	server.close(() => process.exit(0));
	server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
