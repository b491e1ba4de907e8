/** What every system module declares: its request as data and the rules that read its answers. */
import type { ZodType } from 'zod';
import type { HttpMethod } from '../transport/types';
import type { IdRule } from './ids';

/** A system's id: the registry's keys (`src/systems/index.ts`), derived, never listed by hand. */
export type { SystemId } from './index';
import type { SystemId } from './index';

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
	| 'malformed_success' // a 2xx that is not the documented success shape: uncertain
	| 'found' // a lookup found exactly one user (SCIM): the change request comes next
	| 'precondition_failed'; // 412: the user changed since the lookup (If-Match): look up again

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
	/** `found`: the user the change request acts on. */
	target?: LookupTarget;
}

/** A user a lookup found: the id the change request uses, and its version when the server gives one. */
export interface LookupTarget {
	id: string;
	/** Its version (SCIM `meta.version`), sent back as `If-Match` so a concurrent change is not overwritten. */
	version?: string;
}

/** "Status plus message pattern": how a system says the user is not there. A setting per system. */
export interface AnswerSignature {
	status: number;
	message: RegExp;
	/** The answer's JSON body must also have this shape (SCIM's error schema). */
	body?: ZodType;
}

export interface AnswerRule {
	status: number;
	/** Matched against the vendor's message; absent = any message with this status. */
	message?: RegExp;
	kind: Exclude<
		VerdictKind,
		| 'removed'
		| 'redirect'
		| 'rate_limited'
		| 'overloaded'
		| 'server_error'
		| 'request_timeout'
		| 'found'
		| 'precondition_failed'
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

/**
 * Where a credential's secret goes in a request (DESIGN §3), named by the credential's own field
 * names: the one place this is decided, for the n8n credential, its test, the dry run's redaction
 * and the plain transport of the sandbox and tests.
 */
export type CredentialAuth =
	| { kind: 'bearer'; tokenField: string }
	| { kind: 'header'; name: string; valueField: string }
	| { kind: 'bodyField'; field: string; valueField: string }
	/** HTTP Basic (RFC 7617): `Authorization: Basic base64(user:password)`. */
	| { kind: 'basic'; userField: string; passwordField: string }
	/** A JWT as Bearer, from a login (refreshed on a 401) or pasted: `jwtLoginRequest`'s fields. */
	| { kind: 'jwtLogin' }
	/** Nothing (an API behind a private network or a gateway that adds it). */
	| { kind: 'none' };

export interface CredentialSpec {
	/** The n8n credential type's name, e.g. `flashbackApi`. */
	type: string;
	/** Where the secret goes; a function of the credential's fields when the user chooses (Ejento). */
	auth: (fields: Readonly<Record<string, unknown>>) => CredentialAuth;
	/**
	 * The user id the credential test sends: one no account can have that the system's validation
	 * accepts (ProductBridge checks its UUID shape before the key). Default: an id of the system's rule.
	 */
	probeUserId?: string;
	/** Credential fields the test overrides so that its probe is a read (SCIM: Deactivate reads first). */
	probeOverrides?: Readonly<Record<string, unknown>>;
}

/**
 * A system whose change needs the user's record first: find the user (SCIM: by id, `userName` or
 * email) and read what the change depends on (already inactive? its version?). The lookup goes
 * through the same limiter and retries as the change; its answer becomes `found` with a target,
 * or a final verdict (not there, ambiguous, already deactivated).
 */
export interface LookupSpec {
	/** The lookup's path and query below the base URL, from the checked user value (encode here). */
	path: (userValue: string) => string;
	/** The user value goes into the URL path (find by id), not only into the query. */
	valueInPath: boolean;
	/** Reads a 2xx lookup answer; any other answer is classified like the change's (`rules`). */
	read: (answer: { status: number; body: unknown }, userValue: string) => Verdict;
}

/** A node setting a system's definition depends on (`configure`), shown in every node that uses it. */
export interface SystemSetting {
	/** The key `configure` reads, e.g. `findBy`. */
	key: string;
	label: string;
	description: string;
	default: string;
	/**
	 * A choice list; absent: free text. `findsByEmail`: with this choice the system finds people by
	 * their email (its `userIdField` is then `email`), so it has no user id column of its own.
	 */
	choices?: ReadonlyArray<{
		name: string;
		value: string;
		description: string;
		findsByEmail?: boolean;
	}>;
}

export interface SystemDefinition {
	id: SystemId;
	displayName: string;
	/** The documented host, where the vendor documents one. */
	defaultBaseUrl?: string;
	credential: CredentialSpec;
	/**
	 * The definition for one node's settings and credential (SCIM: Deactivate or Delete, found by
	 * id, userName or email). Absent: the definition is the same everywhere.
	 */
	settings?: readonly SystemSetting[];
	configure?: (
		credential: Readonly<Record<string, unknown>>,
		options: Readonly<Record<string, unknown>>,
	) => SystemDefinition;
	/** Find the user before the change (SCIM): the change's `{userId}` is then the target's id. */
	lookup?: LookupSpec;
	/** Headers of the change request (SCIM's content type). */
	headers?: Readonly<Record<string, string>>;
	/** The row field that holds this system's user id, e.g. `flashbackUserId`. */
	userIdField: string;
	userIdLabel: string;
	userIdRule: IdRule;
	/** What a node's User parameter asks for, when the settings decide it (SCIM: id or email). */
	userIdPrompt?: string;
	scopeFields: readonly ScopeField[];
	method: HttpMethod;
	/** Path below the base URL; `{key}` is a scope field or `userId`, each percent-encoded. */
	path: string;
	/** JSON body, for systems that take the user id in the body. */
	body?: (userId: string, scope: Readonly<Record<string, string>>) => Record<string, unknown>;
	/** The documented 2xx body: anything else is `malformed_success`. */
	success: ZodType;
	/** The 2xx statuses that can confirm a removal (Custom HTTP); absent: any 2xx. */
	successStatuses?: readonly number[];
	/** A 204 No Content is the documented success too (SCIM PATCH and DELETE, RFC 7644 §3.5.2, §3.6). */
	noContentIsSuccess?: true;
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
	/**
	 * What else, beside the system, credential and scope, the scope evidence is kept under: a
	 * system defined in the node (Custom HTTP: its method and path), so that a removal through one
	 * definition never confirms another's "not found" with the same credential.
	 */
	scopeEvidenceKey?: string;
}
