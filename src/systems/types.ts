/** What every system module declares: its request as data and the rules that read its answers. */
import type { ZodType } from 'zod';
import type { HttpMethod } from '../transport/types';
import type { IdRule } from './ids';

export type SystemId = 'productAccess' | 'productBridge' | 'ejento' | 'flashback' | 'mudbase';

/** The per-pair outcome statuses of DESIGN §4 that a vendor answer can produce. */
export type AnswerStatus = 'removed' | 'not_found' | 'skipped' | 'failed';

/** What an answer means; the engine's retry and circuit rules key on this, never on raw statuses. */
export type VerdictKind =
	| 'removed' // the documented success shape
	| 'not_there' // the system's "not there" signature
	| 'self_removal' // the credential's own account (Flashback refuses it)
	| 'unauthorized' // 401: token or key rejected
	| 'login_refused' // the credential's login (JWT refresh) was refused: wrong email or password
	| 'forbidden' // permission 403
	| 'wrong_scope' // the system's answer for an unknown product / workspace / chat
	| 'rejected' // any other 4xx: validation, ambiguous answers
	| 'redirect' // 3xx: never followed, so nothing is confirmed
	| 'request_timeout' // 408
	| 'rate_limited' // 429
	| 'overloaded' // 503 with Retry-After or an overload message: slow down, not a failure
	| 'server_error' // 5xx
	| 'malformed_success'; // a 2xx that is not the documented success shape: uncertain

export interface Verdict {
	kind: VerdictKind;
	status: AnswerStatus;
	httpStatus: number;
	/** One sentence for the report: what the system said and what to do next. Never a secret. */
	reason: string;
	/** Vendor fields worth keeping (productAccess `cancelledAt`). */
	detail?: Record<string, string | null>;
	/** A 429 or 503 whose message names concurrency ("too many concurrent requests"). */
	concurrencyLimited?: true;
}

/** "Status plus message pattern": how a system says the user is not there. A setting per system. */
export interface AnswerSignature {
	status: number;
	message: RegExp;
}

export interface AnswerRule {
	status: number;
	/** Matched against the vendor's message; absent = any message with this status. */
	message?: RegExp;
	kind: Exclude<
		VerdictKind,
		'removed' | 'redirect' | 'rate_limited' | 'overloaded' | 'server_error' | 'request_timeout'
	>;
	hint?: string;
}

export interface ScopeField {
	/** Key in a pair's scope, e.g. `workspaceId`. */
	key: string;
	/** The user's word for it, e.g. "workspace id". */
	label: string;
	rule: IdRule;
}

export interface SystemDefinition {
	id: SystemId;
	displayName: string;
	/** The documented host, where the vendor documents one. */
	defaultBaseUrl?: string;
	/** The row field that holds this system's user id, e.g. `flashbackUserId`. */
	userIdField: string;
	userIdLabel: string;
	userIdRule: IdRule;
	scopeFields: readonly ScopeField[];
	method: HttpMethod;
	/** Path below the base URL; `{key}` is a scope field or `userId`, each percent-encoded. */
	path: string;
	/** JSON body, for systems that take the user id in the body. */
	body?: (userId: string) => Record<string, unknown>;
	/** The documented 2xx body: anything else is `malformed_success`. */
	success: ZodType;
	successDetail?: (body: unknown) => Record<string, string | null>;
	/** Default "not there" signature (DESIGN §2); a user can replace it to match the vendor's wording. */
	notThere: AnswerSignature;
	/** Other answers this system gives a meaning to, tried in order after `notThere`. */
	rules: readonly AnswerRule[];
	/**
	 * Set when the system's "not there" cannot be told from a wrong scope (an unknown project
	 * answers like a user without access): why, in one sentence. Its `not_found` then counts as
	 * confirmed only with scope evidence (DESIGN §4 "Scope evidence").
	 */
	notThereMayBeWrongScope?: string;
}
