/**
 * A wrong scope fails fast (DESIGN §2): within a run, the first request to each (system, scope)
 * goes alone; when the system answers that the scope does not exist (an unknown product, chat or
 * workspace), the scope's other pairs fail at once with that reason, after one request. Any other
 * answer the system gives opens the scope to every pair; one that says nothing (a 429, a 5xx, no
 * answer) lets the probe go on, and a probe that ends without one hands the role to the next pair.
 */
import { abortError } from './clock';

export type ScopeTurn = { kind: 'probe' } | { kind: 'open' } | { kind: 'wrong'; reason: string };

interface ScopeState {
	state: 'probing' | 'open' | 'wrong';
	reason?: string;
	waiters: Array<() => void>;
}

export class ScopeGate {
	private readonly scopes = new Map<string, ScopeState>();

	/** Waits while another pair probes the scope; then this pair probes it, goes, or fails. */
	async enter(key: string, signal?: AbortSignal): Promise<ScopeTurn> {
		for (;;) {
			const scope = this.scopes.get(key);
			if (!scope) {
				this.scopes.set(key, { state: 'probing', waiters: [] });
				return { kind: 'probe' };
			}
			if (scope.state === 'open') return { kind: 'open' };
			if (scope.state === 'wrong') return { kind: 'wrong', reason: scope.reason ?? '' };
			await waitFor(scope, signal);
		}
	}

	/** The probe's answer: `wrong` fails the scope, `open` opens it, `ended` hands the probe on. */
	settle(
		key: string,
		result: { kind: 'open' } | { kind: 'wrong'; reason: string } | { kind: 'ended' },
	): void {
		const scope = this.scopes.get(key);
		if (!scope || scope.state !== 'probing') return;
		if (result.kind === 'ended') this.scopes.delete(key);
		else {
			scope.state = result.kind;
			if (result.kind === 'wrong') scope.reason = result.reason;
		}
		for (const wake of scope.waiters.splice(0)) wake();
	}
}

function waitFor(scope: ScopeState, signal?: AbortSignal): Promise<void> {
	if (signal?.aborted) return Promise.reject(abortError(signal));
	return new Promise<void>((resolve, reject) => {
		const onAbort = (): void => {
			const index = scope.waiters.indexOf(wake);
			if (index >= 0) scope.waiters.splice(index, 1);
			reject(abortError(signal));
		};
		const wake = (): void => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		};
		signal?.addEventListener('abort', onAbort, { once: true });
		scope.waiters.push(wake);
	});
}
