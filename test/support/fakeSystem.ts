/**
 * A scripted system for engine tests on the virtual clock: answers after a virtual latency, records
 * when each request was sent and answered.
 */
import type { Clock } from '../../src/engine/clock';
import {
	TransportError,
	type HttpRequest,
	type HttpResponse,
	type Transport,
} from '../../src/transport/types';
import { TokenBucket } from '../../sandbox/rateLimit';
import type { VirtualClock } from './virtualClock';

export type FakeAnswer =
	| { status: number; body?: unknown; headers?: Record<string, string> }
	| { transportError: 'timeout' | 'connection' | 'refused' };

export interface SentRequest {
	at: number;
	answeredAt?: number;
	request: HttpRequest;
	/** The user id, from the path or the body. */
	userId: string;
	answer?: FakeAnswer;
}

export class FakeSystem {
	readonly sent: SentRequest[] = [];
	inFlight = 0;
	maxInFlight = 0;

	constructor(
		private readonly clock: VirtualClock | Clock,
		private readonly answer: (request: SentRequest, index: number) => FakeAnswer,
		private readonly latencyMs = 100,
	) {}

	readonly transport: Transport = {
		send: async (request: HttpRequest): Promise<HttpResponse> => {
			const bodyUser = (request.body as { userId?: string; user_id?: string } | undefined) ?? {};
			const userId =
				bodyUser.userId ??
				bodyUser.user_id ??
				decodeURIComponent(request.url.split('/').at(-1) ?? '');
			const record: SentRequest = { at: this.clock.now(), request, userId };
			const index = this.sent.push(record) - 1;
			this.inFlight++;
			this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
			try {
				await this.clock.sleep(this.latencyMs);
				const answer = this.answer(record, index);
				record.answer = answer;
				record.answeredAt = this.clock.now();
				if ('transportError' in answer) {
					if (answer.transportError === 'timeout')
						throw new TransportError(
							'timeout',
							`no answer within ${request.timeoutMs} ms`,
							'ETIMEDOUT',
						);
					if (answer.transportError === 'refused')
						throw new TransportError('connection', 'connect ECONNREFUSED', 'ECONNREFUSED');
					throw new TransportError('connection', 'socket hang up', 'ECONNRESET');
				}
				const body =
					typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
				return { status: answer.status, headers: answer.headers ?? {}, body };
			} finally {
				this.inFlight--;
			}
		},
	};

	requestsFor(userId: string): SentRequest[] {
		return this.sent.filter((s) => s.userId === userId);
	}
}

export const FLASHBACK_OK: FakeAnswer = { status: 200, body: { success: true } };
export const FLASHBACK_NOT_THERE: FakeAnswer = {
	status: 404,
	body: { success: false, message: 'User not found in workspace' },
};

/**
 * Flashback behind a hidden limit (the sandbox's token bucket on the test clock, `rate` per
 * second, bursts of `burst`, 429 + Retry-After in seconds), answering after `latencyMs`.
 */
export function flashbackBehindLimit(
	clock: VirtualClock,
	rate: number,
	burst: number,
	latencyMs = 1,
): FakeSystem {
	const bucket = new TokenBucket({ rate, burst, headers: 'retry-after-seconds' }, () =>
		clock.now(),
	);
	const answer = (): FakeAnswer => {
		const admission = bucket.take();
		return admission.allowed
			? FLASHBACK_OK
			: { status: 429, headers: admission.headers, body: { message: 'Too Many Requests' } };
	};
	return new FakeSystem(clock, answer, latencyMs);
}
