// Preloaded into every n8n process the tests and the demo start (NODE_OPTIONS=--require): a
// connection to a host outside 127.0.0.0/8 is refused before any DNS lookup and recorded in the file
// named by E2E_BLOCKED_LOG, so nothing a test runs can leave this machine.
'use strict';
const net = require('node:net');
const fs = require('node:fs');

function isLoopbackHost(host) {
	const bare = String(host).replace(/^\[|\]$/g, '');
	if (bare === 'localhost' || bare === '::1') return true;
	const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(bare.replace(/^::ffff:/, ''));
	return v4 !== null && v4.slice(1).every((octet) => Number(octet) <= 255);
}

function targetOf(args) {
	const [first, second] = args;
	if (Array.isArray(first)) return targetOf(first);
	if (typeof first === 'object' && first !== null) {
		return { host: first.host ?? (first.path ? undefined : 'localhost'), path: first.path };
	}
	if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
	return { host: typeof second === 'string' ? second : 'localhost' };
}

const original = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
	const { host, path } = targetOf(args);
	if (path === undefined && host !== undefined && !isLoopbackHost(host)) {
		if (process.env.E2E_BLOCKED_LOG) fs.appendFileSync(process.env.E2E_BLOCKED_LOG, `${host}\n`);
		const error = Object.assign(new Error(`connect ECONNREFUSED ${host} (outside 127.0.0.0/8)`), {
			code: 'ECONNREFUSED',
		});
		process.nextTick(() => this.destroy(error));
		return this;
	}
	return original.apply(this, args);
};
