/** The one outcome type: exactly one per (row, system, scope) pair (DESIGN §4 "Outcome"). */
import type { SystemId, VerdictKind } from '../systems/types';

export const OUTCOME_STATUSES = [
	'removed',
	'not_found',
	'would_remove',
	'skipped',
	'failed',
] as const;

export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];

/** Why a pair ended as it did, beyond the vendor's own answers. */
export type OutcomeKind =
	| VerdictKind
	| 'transport_error' // no answer: timeout or connection failure, attempts used up
	| 'circuit_open' // the system's circuit was open: not sent
	| 'invalid_input' // the row's ids cannot make a safe request: not sent
	| 'not_configured' // the run has no settings for this system
	| 'missing_id' // the row has no id for this system: skipped
	| 'duplicate' // the same system, scope and user as an earlier row: sent once, this one skipped
	| 'protected' // a protected user or the credential's own account: skipped
	| 'dry_run' // would be removed: nothing sent
	| 'already_done'; // a report row fed back that needs nothing (removed, not_found, skipped)

/** One unit of work: remove `userId` from `scope` in `system`, for input row `row`. */
export interface Pair {
	/** Unique within the run. */
	id: string;
	/** 1-based input row (item index + 1, or CSV data row). */
	row: number;
	email?: string;
	system: SystemId;
	scope: Readonly<Record<string, string>>;
	userId: string;
}

export interface PairOutcome {
	pairId: string;
	row: number;
	email?: string;
	system: SystemId;
	scope: Readonly<Record<string, string>>;
	userId: string;
	status: OutcomeStatus;
	kind: OutcomeKind;
	/** The last HTTP status received, if any. */
	httpStatus?: number;
	/** Requests sent for this pair. */
	attempts: number;
	durationMs: number;
	/** One sentence: what happened and what to do next. Never a secret. */
	reason: string;
	/** Removed, proved by a "not there" after an attempt whose answer was lost or garbled. */
	confirmedAfterUncertain?: true;
	/** Failed, but an earlier attempt may have removed the user: run again to confirm. */
	uncertain?: true;
	/**
	 * Not found, in a system whose "not there" cannot be told from a wrong scope, with no evidence
	 * that the scope exists: not a confirmed "no access" (see `scopeEvidence.ts`).
	 */
	scopeUnconfirmed?: true;
	detail?: Readonly<Record<string, string | null>>;
	/** Dry run: the exact request that would be sent, credentials shown as [redacted]. */
	request?: PlannedRequest;
}

/**
 * What a report or a receipt reads of an outcome: all of it but the run's own bookkeeping, so that
 * outcomes read back from n8n items (the Offboarding Report node) are reported the same way.
 */
export type ReportedOutcome = Omit<PairOutcome, 'pairId' | 'kind'>;

export interface PlannedRequest {
	method: string;
	url: string;
	headers: Readonly<Record<string, string>>;
	body?: Readonly<Record<string, unknown>>;
}

/** The fields an outcome copies from its pair: one place, for the plan, the run and the dry run. */
export function pairFields(
	pair: Pair,
): Pick<PairOutcome, 'pairId' | 'row' | 'email' | 'system' | 'scope' | 'userId'> {
	return {
		pairId: pair.id,
		row: pair.row,
		...(pair.email !== undefined ? { email: pair.email } : {}),
		system: pair.system,
		scope: pair.scope,
		userId: pair.userId,
	};
}
