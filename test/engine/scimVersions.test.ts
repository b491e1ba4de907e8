/**
 * SCIM versions (RFC 7644 §3.14) in the engine, against a scripted server: the user's
 * `meta.version` goes back as `If-Match`; a 412 (the user changed since it was read) reads the
 * user again and sends the change with the new version; a user that keeps changing fails after
 * three reads, changing nothing; a change whose answer was lost, retried into a 412, reads the
 * user as deactivated: removed, confirmed after the uncertain attempt.
 */
import { realClock } from '../../src/engine/clock';
import { DEFAULT_LIMITS, LimiterRegistry } from '../../src/engine/limiter';
import { offboard } from '../../src/engine/offboard';
import type { PairOutcome } from '../../src/engine/outcome';
import { DEFAULT_RETRY } from '../../src/engine/retry';
import { scimSystem } from '../../src/systems/scim';
import { type HttpRequest, type HttpResponse, TransportError } from '../../src/transport/types';

const BASE = 'https://scim.test/scim/v2';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** One user whose version moves on every change the script makes. */
function server(script: {
	concurrentChanges: number;
	loseFirstAnswer?: boolean;
	inactive?: boolean;
	lookupFailsFirst?: boolean;
}) {
	let version = 1;
	let active = script.inactive !== true;
	let lookupFails = script.lookupFailsFirst === true;
	let concurrent = script.concurrentChanges;
	let lose = script.loseFirstAnswer === true;
	const seen: string[] = [];
	const user = () => ({
		id: 'u-1',
		userName: 'ada@example.com',
		active,
		meta: { version: `W/"${version}"` },
	});
	const json = (status: number, body: unknown): HttpResponse => ({
		status,
		headers: { 'content-type': 'application/scim+json' },
		body: JSON.stringify(body),
	});
	return {
		seen,
		async send(request: HttpRequest): Promise<HttpResponse> {
			seen.push(`${request.method} ${request.headers['if-match'] ?? ''}`.trim());
			if (request.method === 'GET' && lookupFails) {
				lookupFails = false;
				return json(500, { detail: 'try again' });
			}
			if (request.method === 'GET') {
				// Someone else edits the user between our read and our change.
				const answer = json(200, { schemas: [LIST], totalResults: 1, Resources: [user()] });
				if (concurrent > 0) {
					concurrent--;
					version++;
				}
				return answer;
			}
			if (request.headers['if-match'] !== `W/"${version}"`)
				return json(412, {
					schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
					status: '412',
				});
			active = false;
			version++;
			if (lose) {
				lose = false;
				throw new TransportError('connection', 'socket hang up', 'ECONNRESET');
			}
			return json(200, user());
		},
	};
}

async function deactivate(transport: ReturnType<typeof server>): Promise<PairOutcome> {
	const system = scimSystem({ action: 'deactivate', findBy: 'userName' }, 'Slack');
	const run = await offboard(
		() => [{ kind: 'person', row: 1, fields: { email: 'ada@example.com' } }],
		{
			plan: { systems: [{ system, baseUrl: BASE, scopes: {} }] },
			systems: {
				scim: {
					system,
					baseUrl: BASE,
					transport,
					secrets: () => [],
					credentialKey: `versions-${Math.random()}`,
					limits: DEFAULT_LIMITS,
					retry: { ...DEFAULT_RETRY, baseDelayMs: 1, maxDelayMs: 5 },
				},
			},
			limiters: new LimiterRegistry(realClock),
		},
	);
	const out: PairOutcome[] = [];
	for await (const outcome of run) out.push(outcome);
	expect(out).toHaveLength(1);
	return out[0];
}

describe('SCIM versions and If-Match', () => {
	it('sends the version it read as If-Match', async () => {
		const s = server({ concurrentChanges: 0 });
		const outcome = await deactivate(s);
		expect([outcome.status, outcome.attempts]).toEqual(['removed', 2]);
		expect(s.seen).toEqual(['GET', 'PATCH W/"1"']);
	});

	it('a 412 reads the user again and changes it with the new version', async () => {
		const s = server({ concurrentChanges: 1 });
		const outcome = await deactivate(s);
		expect([outcome.status, outcome.attempts]).toEqual(['removed', 4]);
		expect(s.seen).toEqual(['GET', 'PATCH W/"1"', 'GET', 'PATCH W/"2"']);
	});

	it('a user that keeps changing fails after three reads, never overwritten', async () => {
		const s = server({ concurrentChanges: 10 });
		const outcome = await deactivate(s);
		expect([outcome.status, outcome.kind, outcome.httpStatus]).toEqual([
			'failed',
			'precondition_failed',
			412,
		]);
		expect(outcome.reason).toBe(
			'Slack answered 412: the user changed since it was read (If-Match), so nothing was changed',
		);
		expect(s.seen).toEqual(['GET', 'PATCH W/"1"', 'GET', 'PATCH W/"2"', 'GET', 'PATCH W/"3"']);
	});

	it('a lost answer, then 412: the user reads as deactivated — removed, confirmed after uncertain', async () => {
		const s = server({ concurrentChanges: 0, loseFirstAnswer: true });
		const outcome = await deactivate(s);
		expect([outcome.status, outcome.confirmedAfterUncertain]).toEqual(['removed', true]);
		expect(s.seen).toEqual(['GET', 'PATCH W/"1"', 'PATCH W/"1"', 'GET']);
	});

	it('a 500 to the lookup is not an uncertain change: an inactive user stays "already deactivated"', async () => {
		const s = server({ concurrentChanges: 0, inactive: true, lookupFailsFirst: true });
		const outcome = await deactivate(s);
		expect([outcome.status, outcome.confirmedAfterUncertain, outcome.reason]).toEqual([
			'not_found',
			undefined,
			'Slack says the user (userName ada@example.com) is already deactivated',
		]);
		expect(s.seen).toEqual(['GET', 'GET']);
	});
});
