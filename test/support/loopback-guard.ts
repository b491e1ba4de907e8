/**
 * Network tests target loopback only: any connection to a host outside 127.0.0.0/8 is refused and
 * recorded, and `loopback-guard-assert.ts` fails the test file that tried it.
 *
 * The patch lives on `net.Socket.prototype`, which every test file of a worker shares (each file
 * gets its own `process` and module registry), so the record lives on the patched function itself.
 */
import net from 'node:net';

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;
type Guarded = Connect & { violations: string[] };

export function isLoopbackHost(host: string): boolean {
	const bare = host.replace(/^\[|\]$/g, '');
	if (bare === 'localhost') return true;
	const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(bare.replace(/^::ffff:/, ''));
	return v4 !== null && v4.slice(1).every((octet) => Number(octet) <= 255);
}

function targetOf(args: unknown[]): { host?: string; path?: string } {
	const [first, second] = args;
	if (Array.isArray(first)) return targetOf(first);
	if (typeof first === 'object' && first !== null) {
		const { host, path } = first as { host?: string; path?: string };
		return { host: host ?? (path ? undefined : 'localhost'), path };
	}
	if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
	return { host: typeof second === 'string' ? second : 'localhost' };
}

function install(): Guarded {
	const current = net.Socket.prototype.connect as unknown as Partial<Guarded> & Connect;
	if (Array.isArray(current.violations)) return current as Guarded;
	const original = current;
	const guarded = function (this: net.Socket, ...args: unknown[]) {
		const { host, path } = targetOf(args);
		if (path === undefined && host !== undefined && !isLoopbackHost(host)) {
			guarded.violations.push(host);
			throw new Error(`loopback guard: a test tried to reach ${host}, outside 127.0.0.0/8`);
		}
		return original.apply(this, args);
	} as Guarded;
	guarded.violations = [];
	net.Socket.prototype.connect = guarded as unknown as typeof net.Socket.prototype.connect;
	return guarded;
}

const guard = install();
guard.violations.length = 0; // each test file answers for its own attempts

export function loopbackViolations(): string[] {
	return guard.violations;
}
