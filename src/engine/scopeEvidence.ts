/**
 * Scope evidence (DESIGN §4): for a system whose "not there" cannot be told from a wrong scope
 * (Ejento answers an unknown project and a user without access with the same 404), a `not_found`
 * counts as confirmed only when the scope is known to exist — a removal in it succeeded, in this
 * run or within `SCOPE_EVIDENCE_MS`, with the same credential. The evidence lives in the limit
 * store (per process today; shared across workers with a shared store), keyed by system,
 * credential key (never a secret) and scope.
 *
 * A `not_found` without evidence is held back until the run ends: a removal later in the same
 * run and scope still confirms it. Then it goes out as `not_found` with `scopeUnconfirmed` and a
 * reason that says what to check. At most `MAX_HELD` outcomes are held; past that, an outcome
 * without evidence goes out unconfirmed at once (memory stays bounded on a huge re-run).
 */
import type { SystemDefinition, SystemId } from '../systems/types';
import type { LimitStore } from './limits/store';
import type { PairOutcome } from './outcome';

/** How long a successful removal proves that its scope exists. */
export const SCOPE_EVIDENCE_MS = 30 * 24 * 60 * 60 * 1000;
const MAX_HELD = 10_000;

/**
 * "project 2", "project 2 / chat general": a scope as a person names it. A system defined in the
 * node (its scope fields are its own) names the scope's keys; with no scope, what is left to check
 * is where the requests go.
 */
export function scopeDescription(
	system: SystemDefinition,
	scope: Readonly<Record<string, string>>,
): string {
	const parts =
		system.scopeFields.length > 0
			? system.scopeFields.map((f) => `${f.label.replace(/\s*\bid$/i, '')} ${scope[f.key] ?? ''}`)
			: Object.entries(scope).map(([key, value]) => `${key} ${value}`);
	return parts.length > 0 ? parts.join(' / ') : 'the path and base URL';
}

/** Why a system's "not found" may be a wrong scope (its definition says). */
export function wrongScopeExplanation(system: SystemDefinition): string {
	return system.notThereMayBeWrongScope ?? 'the answer cannot tell a wrong scope apart';
}

/** What an unconfirmed "not found" asks the reader to check: the report, receipt and outcome say it. */
export function whatToCheck(
	system: SystemDefinition,
	scope: Readonly<Record<string, string>>,
): string {
	return `${wrongScopeExplanation(system)}; check ${scopeDescription(system, scope)}`;
}

/** The outcome as it goes out when its scope could not be confirmed. */
export function unconfirmed(system: SystemDefinition, outcome: PairOutcome): PairOutcome {
	return {
		...outcome,
		scopeUnconfirmed: true,
		reason: `not found — unconfirmed: ${whatToCheck(system, outcome.scope)} (a removal there confirms it). ${outcome.reason}`,
	};
}

export interface EvidenceSystem {
	system: SystemDefinition;
	credentialKey: string;
}

export class ScopeEvidence {
	private readonly confirmed = new Set<string>();
	/** Scopes whose evidence this run wrote (once per run: the store keeps it 30 days). */
	private readonly recorded = new Set<string>();
	/** Scopes the store had no evidence for when asked (asked again only at the end of the run). */
	private readonly unproven = new Set<string>();
	private readonly held = new Map<string, PairOutcome[]>();
	private heldCount = 0;

	constructor(
		private readonly store: LimitStore,
		private readonly systems: Readonly<Partial<Record<SystemId, EvidenceSystem>>>,
	) {}

	private keyOf(outcome: PairOutcome): { key: string; system: SystemDefinition } | undefined {
		const entry = this.systems[outcome.system];
		if (!entry?.system.notThereMayBeWrongScope) return undefined;
		const scope = entry.system.scopeFields.map((f) => outcome.scope[f.key] ?? '');
		return {
			key: `scope:${outcome.system}:${entry.credentialKey}:${JSON.stringify(scope)}${entry.system.scopeEvidenceKey === undefined ? '' : `:${JSON.stringify(entry.system.scopeEvidenceKey)}`}`,
			system: entry.system,
		};
	}

	/** The outcomes that can go out now: this one, and any it confirms; none while it is held. */
	async see(outcome: PairOutcome): Promise<PairOutcome[]> {
		const found = this.keyOf(outcome);
		if (!found) return [outcome];
		const { key, system } = found;
		if (outcome.status === 'removed') {
			if (!this.recorded.has(key)) {
				this.recorded.add(key);
				// An unreachable shared store keeps the evidence for this run only.
				await this.store
					.confirmScope(key, this.store.now() + SCOPE_EVIDENCE_MS)
					.catch(() => undefined);
			}
			this.confirmed.add(key);
			const released = this.held.get(key) ?? [];
			this.held.delete(key);
			this.heldCount -= released.length;
			return [outcome, ...released];
		}
		if (outcome.status !== 'not_found') return [outcome];
		if (this.confirmed.has(key)) return [outcome];
		// One question to the store per scope while the run goes on (a Redis round trip each).
		if (!this.unproven.has(key)) {
			if (await this.proven(key)) return [outcome];
			this.unproven.add(key);
		}
		if (this.heldCount >= MAX_HELD) return [unconfirmed(system, outcome)];
		const list = this.held.get(key) ?? [];
		list.push(outcome);
		this.held.set(key, list);
		this.heldCount++;
		return [];
	}

	/** Evidence in the store (another run's or another worker's); an unreachable store proves nothing. */
	private async proven(key: string): Promise<boolean> {
		if (!(await this.store.scopeConfirmed(key).catch(() => false))) return false;
		this.confirmed.add(key);
		return true;
	}

	/**
	 * At the end of the run: what is still held, after asking the store once more per scope (a
	 * removal on another worker may have proved it meanwhile); unconfirmed otherwise.
	 */
	async finish(): Promise<PairOutcome[]> {
		const out: PairOutcome[] = [];
		for (const [key, list] of this.held) {
			const proven = await this.proven(key);
			for (const outcome of list) {
				const system = this.systems[outcome.system]?.system;
				out.push(proven || !system ? outcome : unconfirmed(system, outcome));
			}
		}
		this.held.clear();
		this.heldCount = 0;
		return out;
	}
}
