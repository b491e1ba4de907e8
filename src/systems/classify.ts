/**
 * Reads a system's answer: `removed` only on the documented success shape, `not_found` only on the
 * system's "not there" signature, everything else `failed` with the vendor's own message.
 */
import type { HttpResponse } from '../transport/types';
import type {
	AnswerSignature,
	AnswerStatus,
	SystemDefinition,
	Verdict,
	VerdictKind,
} from './types';

const STATUS_OF: Record<VerdictKind, AnswerStatus> = {
	removed: 'removed',
	not_there: 'not_found',
	self_removal: 'skipped',
	unauthorized: 'failed',
	login_refused: 'failed',
	forbidden: 'failed',
	wrong_scope: 'failed',
	rejected: 'failed',
	redirect: 'failed',
	request_timeout: 'failed',
	rate_limited: 'failed',
	overloaded: 'failed',
	server_error: 'failed',
	malformed_success: 'failed',
	found: 'failed',
	precondition_failed: 'failed',
};

const MAX_MESSAGE = 300;

/**
 * A 503 with one of these words is the system asking to slow down (overload), not a failure; a
 * 503 with `Retry-After` is too (RFC 9110 §10.2.3 allows it there). A plain 503 is a server error.
 */
const OVERLOAD_MESSAGE =
	/too many|overload|over capacity|capacity|concurren|rate.?limit|throttl|slow down/i;
/** An overload answer that names concurrency: the requests in flight, not their rate, were too many. */
const CONCURRENCY_MESSAGE = /concurren|in.?flight|simultaneous|parallel/i;

export function parseJson(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return undefined;
	}
}

function textOf(value: unknown): string | undefined {
	if (typeof value === 'string' && value.trim() !== '') return value.trim();
	return undefined;
}

/** FastAPI's validation envelope: `detail: [{loc: [...], msg}]`. */
function validationMessages(detail: unknown[]): string | undefined {
	const parts = detail
		.map((entry) => {
			if (typeof entry !== 'object' || entry === null) return undefined;
			const { loc, msg } = entry as { loc?: unknown; msg?: unknown };
			const where = Array.isArray(loc) ? loc.join('.') : undefined;
			const what = textOf(msg);
			return what && where ? `${where}: ${what}` : what;
		})
		.filter((part): part is string => part !== undefined);
	return parts.length > 0 ? parts.join('; ') : undefined;
}

/** The vendor's human message, from the envelopes the five systems use, else the text itself. */
export function vendorMessage(body: string): string {
	const json = parseJson(body);
	if (typeof json === 'object' && json !== null) {
		const { message, detail, error, scimType } = json as Record<string, unknown>;
		// SCIM (RFC 7644 §3.12): `detail`, with `scimType` naming the kind of error.
		const scim =
			textOf(scimType) && textOf(detail) ? `${textOf(scimType)}: ${textOf(detail)}` : undefined;
		if (scim) return truncate(scim);
		const fromDetail = Array.isArray(detail)
			? validationMessages(detail)
			: (textOf(detail) ?? textOf((detail as { error?: unknown } | null)?.error));
		const found =
			textOf(message) ??
			fromDetail ??
			textOf(error) ??
			textOf((error as { message?: unknown } | null)?.message);
		if (found) return truncate(found);
	}
	const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1];
	const plain = textOf(title) ?? body.replace(/<[^>]*>/g, ' ');
	return truncate(plain.replace(/\s+/g, ' ').trim() || '(empty body)');
}

function truncate(text: string): string {
	return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

export interface ClassifyOptions {
	/** Replaces the system's default "not there" signature (to match the real vendor's wording). */
	notThere?: AnswerSignature;
}

export function classifyResponse(
	system: SystemDefinition,
	response: HttpResponse,
	options: ClassifyOptions = {},
): Verdict {
	const { status } = response;
	const name = system.displayName;
	const verdict = (kind: VerdictKind, reason: string, detail?: Verdict['detail']): Verdict => ({
		kind,
		status: STATUS_OF[kind],
		httpStatus: status,
		reason,
		...(detail ? { detail } : {}),
	});

	if (
		status >= 200 &&
		status < 300 &&
		system.successStatuses &&
		!system.successStatuses.includes(status)
	)
		return verdict(
			'malformed_success',
			`${name} answered ${status}, which is not one of its success statuses (${system.successStatuses.join(', ')}), so the removal is uncertain`,
		);
	if (status === 204 && system.noContentIsSuccess) {
		return verdict(
			'removed',
			`${name} confirmed the change (204 No Content)`,
			system.successDetail?.(undefined),
		);
	}
	if (status >= 200 && status < 300) {
		const parsed = system.success.safeParse(parseJson(response.body));
		if (parsed.success) {
			return verdict(
				'removed',
				`${name} confirmed the removal (${status})`,
				system.successDetail?.(parsed.data),
			);
		}
		return verdict(
			'malformed_success',
			`${name} answered ${status} but not with its documented success body, so the removal is uncertain: ${vendorMessage(response.body)}`,
		);
	}
	if (status >= 300 && status < 400) {
		const location = response.headers.location ?? '(no Location)';
		return verdict(
			'redirect',
			`${name} answered ${status} redirecting to ${truncate(location)}; redirects are not followed, so nothing is confirmed: check the base URL`,
		);
	}

	const message = vendorMessage(response.body);
	const said = `${status}: ${message}`;
	// The login's answer says nothing about the user; only a busy login (429, 5xx) is worth a retry.
	if (response.fromLogin && status !== 429 && status < 500)
		return verdict(
			'login_refused',
			`${name} refused the credential's login (${said}): ${
				status === 404 || status === 405
					? 'check the base URL and the login path'
					: 'check the email and password'
			}`,
		);
	if (status === 401)
		return verdict(
			'unauthorized',
			`${name} rejected the credential (${said}): check the token or API key`,
		);
	if (status === 408)
		return verdict('request_timeout', `${name} timed out reading the request (${said})`);
	const concurrency = CONCURRENCY_MESSAGE.test(message)
		? { concurrencyLimited: true as const }
		: {};
	if (status === 429)
		return { ...verdict('rate_limited', `${name} is rate limiting (${said})`), ...concurrency };
	if (
		status === 503 &&
		(response.headers['retry-after'] !== undefined || OVERLOAD_MESSAGE.test(message))
	)
		return {
			...verdict('overloaded', `${name} answered ${status} (overloaded): ${message}`),
			...concurrency,
		};
	if (status >= 500) return verdict('server_error', `${name} failed on its side (${said})`);

	if (status === 412)
		return verdict(
			'precondition_failed',
			`${name} answered 412: the user changed since it was read (If-Match), so nothing was changed`,
		);
	const notThere = options.notThere ?? system.notThere;
	if (
		status === notThere.status &&
		notThere.message.test(message) &&
		(!notThere.body || notThere.body.safeParse(parseJson(response.body)).success)
	) {
		return verdict('not_there', `${name} says the user is not there (${said})`);
	}
	for (const rule of system.rules) {
		if (rule.status !== status || (rule.message && !rule.message.test(message))) continue;
		return verdict(rule.kind, `${name} answered ${said}${rule.hint ? `: ${rule.hint}` : ''}`);
	}
	if (status === 403)
		return verdict('forbidden', `${name} refused the credential's permissions (${said})`);
	if (status === 404) {
		return verdict(
			'rejected',
			`${name} answered ${said}, which is not its "not there" answer: check the base URL and scope ids`,
		);
	}
	return verdict('rejected', `${name} refused the request (${said})`);
}

/**
 * A lookup's answer (SCIM: find the user first): a 2xx is read by the system's `lookup.read`
 * (found, not there, ambiguous, already deactivated); anything else means what it means for the
 * change (429, 503, 401, the "not there" 404…).
 */
export function classifyLookup(
	system: SystemDefinition,
	response: HttpResponse,
	userValue: string,
	options: ClassifyOptions = {},
): Verdict {
	const { status } = response;
	if (!system.lookup || status < 200 || status >= 300)
		return classifyResponse(system, response, options);
	return system.lookup.read({ status, body: parseJson(response.body) }, userValue);
}
