/** Time, injected: the engine never reads the wall clock or sets a timer itself, so tests run on a virtual clock. */
import { setTimeout as delay } from 'node:timers/promises';

export interface Clock {
	now(): number;
	/** Resolves after `ms`; rejects with an AbortError as soon as `signal` aborts. */
	sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
	now: () => Date.now(),
	sleep: async (ms, signal) => {
		await delay(Math.max(0, ms), undefined, { signal });
	},
};

export function abortError(signal?: AbortSignal): Error {
	const reason: unknown = signal?.reason;
	if (reason instanceof Error) return reason;
	const error = new Error('The operation was aborted');
	error.name = 'AbortError';
	return error;
}
