// Preloaded into every n8n process the tests and the demo start (NODE_OPTIONS=--require): a
// connection to a host outside 127.0.0.0/8 (or a lookup of its name) is refused and recorded in the file
// named by E2E_BLOCKED_LOG, so nothing a test runs can leave this machine.
'use strict';
const dns = require('node:dns');
const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');

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

function refused(host) {
	if (process.env.E2E_BLOCKED_LOG) fs.appendFileSync(process.env.E2E_BLOCKED_LOG, `${host}\n`);
	return Object.assign(new Error(`connect ECONNREFUSED ${host} (outside 127.0.0.0/8)`), {
		code: 'ECONNREFUSED',
	});
}

// Plain sockets (and undici's fetch).
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
	const { host, path } = targetOf(args);
	if (path === undefined && host !== undefined && !isLoopbackHost(host)) {
		const error = refused(host);
		process.nextTick(() => this.destroy(error));
		return this;
	}
	return connect.apply(this, args);
};

// Name lookups (http/https agents resolve before they connect): only loopback names resolve.
const lookup = dns.lookup;
dns.lookup = function (hostname, options, callback) {
	const done = typeof options === 'function' ? options : callback;
	if (!isLoopbackHost(hostname) && typeof done === 'function') {
		const error = refused(hostname);
		process.nextTick(() => done(error));
		return {};
	}
	return lookup.call(this, hostname, options, callback);
};
const lookupPromise = dns.promises.lookup;
dns.promises.lookup = function (hostname, options) {
	if (!isLoopbackHost(hostname)) return Promise.reject(refused(hostname));
	return lookupPromise.call(this, hostname, options);
};

// TLS to an IP literal skips the lookup.
const tlsConnect = tls.connect;
tls.connect = function (...args) {
	const options = typeof args[0] === 'object' && args[0] !== null ? args[0] : {};
	const host = options.host ?? (typeof args[1] === 'string' ? args[1] : undefined);
	if (host !== undefined && net.isIP(host) && !isLoopbackHost(host)) {
		const socket = new tls.TLSSocket(new net.Socket());
		const error = refused(host);
		process.nextTick(() => socket.destroy(error));
		return socket;
	}
	return tlsConnect.apply(this, args);
};
