/**
 * A single-consumer async queue: producers push, one `for await` reads in push order. `push` never
 * blocks; a producer that can wait calls `roomFor()` so the buffer stays near `highWater`.
 */
export class Channel<T> implements AsyncIterable<T> {
	private readonly buffer: T[] = [];
	private roomWaiters: Array<() => void> = [];

	constructor(private readonly highWater = Infinity) {}

	/** Resolves when the buffer is below the high-water mark (or the channel is closed). */
	roomFor(): Promise<void> {
		if (this.buffer.length < this.highWater || this.closed) return Promise.resolve();
		return new Promise((resolve) => this.roomWaiters.push(resolve));
	}

	private wakeProducers(): void {
		if (this.roomWaiters.length === 0 || (this.buffer.length >= this.highWater && !this.closed))
			return;
		const waiters = this.roomWaiters;
		this.roomWaiters = [];
		for (const wake of waiters) wake();
	}
	private waiting: ((result: IteratorResult<T>) => void) | undefined;
	private failWaiting: ((error: unknown) => void) | undefined;
	private closed = false;
	private error: { value: unknown } | undefined;

	push(value: T): void {
		if (this.closed) return;
		if (this.waiting) {
			const resolve = this.waiting;
			this.waiting = this.failWaiting = undefined;
			resolve({ value, done: false });
		} else this.buffer.push(value);
	}

	close(): void {
		this.closed = true;
		this.wakeProducers();
		if (this.waiting && this.buffer.length === 0) {
			const resolve = this.waiting;
			this.waiting = this.failWaiting = undefined;
			resolve({ value: undefined, done: true });
		}
	}

	fail(error: unknown): void {
		if (this.error) return;
		this.error = { value: error };
		this.closed = true;
		this.wakeProducers();
		if (this.failWaiting) {
			const reject = this.failWaiting;
			this.waiting = this.failWaiting = undefined;
			reject(error);
		}
	}

	[Symbol.asyncIterator](): AsyncIterator<T> {
		return {
			next: () => {
				if (this.error) return Promise.reject(this.error.value);
				if (this.buffer.length > 0) {
					const value = this.buffer.shift() as T;
					this.wakeProducers();
					return Promise.resolve({ value, done: false });
				}
				if (this.closed) return Promise.resolve({ value: undefined, done: true });
				return new Promise<IteratorResult<T>>((resolve, reject) => {
					this.waiting = resolve;
					this.failWaiting = reject;
				});
			},
		};
	}
}
