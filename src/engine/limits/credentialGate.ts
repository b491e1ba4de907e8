/**
 * The credential part (DESIGN §3 "Credential probe", "JWT refresh ownership"): a system's first
 * request — and the first after a credential circuit — goes alone; the rest follow once an answer
 * shows the credential accepted, so a wrong token costs one request. For a credential n8n refreshes
 * on a 401 (a JWT login), the gate lets exactly one request through that may refresh it, since n8n
 * refreshes per request with no single-flight. Per process.
 */
import { INCONCLUSIVE_KINDS } from '../retry';
import type { Observation } from './observation';

/** A 401 that survives this many refreshes in a row means the credential itself is refused. */
const REFRESHES_BEFORE_CIRCUIT = 2;

export type GateVerdict =
	/** Nothing for the gate to do. */
	| { kind: 'ok' }
	/** A 401 while the credential is being refreshed: ask again without using an attempt. */
	| { kind: 'retry-free' }
	/** The credential is refused: the run that met it stops sending to this system. */
	| { kind: 'refused'; reason: string };

export class CredentialGate {
	private state: 'open' | 'probe-needed' | 'probing' = 'probe-needed';
	/** Refresh probes answered 401 since the credential last worked. */
	private refreshesRejected = 0;

	constructor(private readonly refreshable: boolean) {}

	/** Requests this gate allows in flight now: none while its probe is out, one when it needs one. */
	get dispatchLimit(): number {
		if (this.state === 'probing') return 0;
		return this.state === 'probe-needed' ? 1 : Infinity;
	}

	/** A request goes: is it the gate's probe (and so the one that may refresh the credential)? */
	onDispatch(): boolean {
		if (this.state !== 'probe-needed') return false;
		this.state = 'probing';
		return true;
	}

	/** Whether a probe may make n8n refresh the credential. */
	mayRefresh(probe: boolean): boolean {
		return probe && this.refreshable;
	}

	onAnswer(kind: Observation['kind'], reason: string, wasProbe: boolean): GateVerdict {
		const wasRefreshProbe = wasProbe && this.refreshable;
		let verdict: GateVerdict = { kind: 'ok' };
		if (kind === 'unauthorized' && this.refreshable && !wasRefreshProbe) {
			if (this.state === 'open') this.state = 'probe-needed';
			verdict = { kind: 'retry-free' };
		} else if (
			kind === 'unauthorized' &&
			wasRefreshProbe &&
			this.refreshesRejected < REFRESHES_BEFORE_CIRCUIT - 1
		) {
			// A token can die between its login and the retry carrying it (a whole-second `exp`, a
			// clock a little ahead): one more refresh before calling the credential wrong.
			this.refreshesRejected++;
			this.state = 'probe-needed';
			verdict = { kind: 'retry-free' };
		} else if (kind === 'unauthorized') {
			verdict = {
				kind: 'refused',
				reason: wasRefreshProbe ? `${reason} (also after refreshing the credential)` : reason,
			};
		} else if (kind === 'forbidden' || kind === 'login_refused') {
			verdict = { kind: 'refused', reason };
		}
		if (verdict.kind === 'refused') {
			// The next run's first request probes the credential again (and may refresh it).
			this.state = 'probe-needed';
			this.refreshesRejected = 0;
		} else if (wasProbe && this.state === 'probing') {
			// Only an answer the system gave after checking the token proves it works; a 5xx, 429 or
			// lost answer may come from in front of the auth check, so the next request probes again.
			this.state = INCONCLUSIVE_KINDS.has(kind) ? 'probe-needed' : 'open';
			if (this.state === 'open') this.refreshesRejected = 0;
		}
		return verdict;
	}
}
