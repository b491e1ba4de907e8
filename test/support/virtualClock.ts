/**
 * A virtual clock: time moves only when every pending piece of work is waiting on it, and then jumps
 * straight to the next timer. Engine tests run hours of backoff in milliseconds, deterministically.
 */
import { abortError, type Clock } from '../../src/engine/clock';

interface Timer {
	at: number;
	seq: number;
	resolve(): void;
}

/** Virtual time starts at a realistic instant, so epoch-second headers read as they would in production. */
export const VIRTUAL_EPOCH = Date.UTC(2026, 10, 27, 12, 0, 0);

export class VirtualClock implements Clock {
	private time = VIRTUAL_EPOCH;
	private seq = 0;
	private timers: Timer[] = [];

	now(): number {
		return this.time;
	}

	sleep(ms: number, signal?: AbortSignal): Promise<void> {
		if (signal?.aborted) return Promise.reject(abortError(signal));
		return new Promise<void>((resolve, reject) => {
			const timer: Timer = {
				at: this.time + Math.max(0, ms),
				seq: this.seq++,
				resolve: () => {
					signal?.removeEventListener('abort', onAbort);
					resolve();
				},
			};
			const onAbort = (): void => {
				this.timers = this.timers.filter((t) => t !== timer);
				reject(abortError(signal));
			};
			signal?.addEventListener('abort', onAbort, { once: true });
			this.timers.push(timer);
		});
	}

	/** Lets every promise chain that can progress do so, without moving time. */
	async settle(): Promise<void> {
		for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
	}

	/** Advances time to each next timer until `work` settles; fails on a deadlock. */
	async run<T>(work: Promise<T>, limitMs = 24 * 3600_000): Promise<T> {
		const deadline = this.time + limitMs;
		let done = false;
		const tracked = work.finally(() => (done = true));
		tracked.catch(() => undefined);
		for (;;) {
			await this.settle();
			if (done) return tracked;
			if (this.timers.length === 0)
				throw new Error('virtual clock: nothing scheduled but the work is not done');
			this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
			const next = this.timers.shift() as Timer;
			if (next.at > deadline) throw new Error(`virtual clock: ran past ${limitMs} ms`);
			this.time = Math.max(this.time, next.at);
			next.resolve();
		}
	}
}
