/**
 * The fairness part: one queue per run, served round-robin (deficit round robin with equal,
 * unit-size quanta — Shreedhar & Varghese), a new run entering the round where it stands (`push`),
 * so a one-person GDPR run never waits behind a 10,000-row nightly run. Per process: it holds the
 * waiting promises; across processes the store gives the turn (`store.ts` TurnRequest).
 */

export interface Waiter<T> {
	runId: string;
	resolve(value: T): void;
	reject(error: Error): void;
	/** Detaches the waiter's abort listener. */
	cleanup(): void;
}

export class FairQueue<T> {
	private readonly queues = new Map<string, Array<Waiter<T>>>();
	private order: string[] = [];
	private nextRun = 0;
	/** Per run: when it was last served, or when it came (`now` as the caller's clock gives it). */
	private readonly since = new Map<string, number>();

	/**
	 * Queues a waiter. A run that comes while others wait is served next, at their place in the
	 * round (start-time fair queueing, Goyal, Vin & Cheng 1996: a newly busy flow starts at the
	 * current virtual time, not behind a whole round): a one-person erasure waits for the request
	 * in progress, not for one request of every batch; every run still gets one turn per round.
	 */
	push(waiter: Waiter<T>, now = 0): void {
		let queue = this.queues.get(waiter.runId);
		if (!queue) {
			queue = [];
			const current = this.peekRun();
			const at = current === undefined ? this.order.length : this.order.indexOf(current);
			this.order.splice(at, 0, waiter.runId);
			this.nextRun = at;
			this.since.set(waiter.runId, current === undefined ? now : (this.since.get(current) ?? now));
			this.queues.set(waiter.runId, queue);
		}
		queue.push(waiter);
	}

	/**
	 * Since when the run served next has waited for its turn (last served, or came): what several
	 * processes sharing one limit compare, so that the turn goes to the run that waited longest
	 * across all of them (`store.ts` TurnRequest). Undefined when nothing waits.
	 */
	get nextTurnSince(): number | undefined {
		const runId = this.peekRun();
		return runId === undefined ? undefined : this.since.get(runId);
	}

	get isEmpty(): boolean {
		for (const queue of this.queues.values()) if (queue.length > 0) return false;
		return true;
	}

	/** The next run's oldest waiter, taking turns between runs. */
	next(now = 0): Waiter<T> | undefined {
		for (let i = 0; i < this.order.length; i++) {
			const index = (this.nextRun + i) % this.order.length;
			const waiter = this.queues.get(this.order[index])?.shift();
			if (waiter) {
				this.nextRun = (index + 1) % this.order.length;
				this.since.set(waiter.runId, now);
				waiter.cleanup();
				return waiter;
			}
		}
		return undefined;
	}

	/** The run `next()` would serve, without serving it. */
	private peekRun(): string | undefined {
		for (let i = 0; i < this.order.length; i++) {
			const runId = this.order[(this.nextRun + i) % this.order.length];
			if ((this.queues.get(runId)?.length ?? 0) > 0) return runId;
		}
		return undefined;
	}

	/** Takes a waiter out (its request was aborted). */
	remove(waiter: Waiter<T>): void {
		const queue = this.queues.get(waiter.runId);
		const index = queue?.indexOf(waiter) ?? -1;
		if (queue && index >= 0) queue.splice(index, 1);
		waiter.cleanup();
	}

	/** Every waiting request of one run, taken out (the run ended, was cancelled or refused). */
	takeRun(runId: string): Array<Waiter<T>> {
		const queue = this.queues.get(runId) ?? [];
		this.queues.delete(runId);
		this.since.delete(runId);
		this.order = this.order.filter((id) => id !== runId);
		for (const waiter of queue) waiter.cleanup();
		return queue;
	}

	/** Every waiting request of every run, taken out (the system's circuit is open). */
	takeAll(): Array<Waiter<T>> {
		const all: Array<Waiter<T>> = [];
		for (const queue of this.queues.values()) {
			for (const waiter of queue.splice(0)) {
				waiter.cleanup();
				all.push(waiter);
			}
		}
		return all;
	}

	/** Every waiting request of one run, leaving its turn in place (a credential circuit for that run). */
	takeWaiting(runId: string): Array<Waiter<T>> {
		const taken = this.queues.get(runId)?.splice(0) ?? [];
		for (const waiter of taken) waiter.cleanup();
		return taken;
	}
}
