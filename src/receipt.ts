/**
 * The GDPR receipt for one erasure request (Art. 17): what was done in each system, and by when the
 * controller must answer (Art. 12(3): one month from receipt, extendable by two further months).
 * It says *access removed*: these calls remove a person's access, not the data a vendor holds.
 */
import { createHmac } from 'node:crypto';
import { DateTime } from 'luxon';
import type { OutcomeStatus, ReportedOutcome } from './engine/outcome';
import { type NameOf, type NamedSystem, namedSystemOrder, registryName } from './engine/report';
import { whatToCheck } from './engine/scopeEvidence';
import { SYSTEMS } from './systems';
import type { SystemId } from './systems/types';

export type SystemReceiptStatus =
	| 'access removed' // every pair removed, or not there to begin with
	| 'no access found' // every pair not_found, each in a scope known to exist
	| 'no access found, unconfirmed' // not_found in a scope that may not exist (scope evidence)
	| 'access removed, partly unconfirmed' // removed in one scope, unconfirmed not_found in another
	| 'would remove' // dry run
	| 'partly failed'
	| 'failed'
	| 'skipped';

export interface SystemReceipt {
	system: SystemId;
	name: string;
	status: SystemReceiptStatus;
	counts: Record<OutcomeStatus, number>;
	/** The reasons of failed pairs, deduplicated: what to do next. */
	failures: string[];
	/** Why pairs were skipped (no id given, a protected user…), deduplicated: what was not checked. */
	skipped: string[];
	/** Why "not found" answers are not confirmed (scope evidence), deduplicated: what to check. */
	unconfirmed: string[];
}

export interface GdprReceipt {
	requestId: string;
	receivedAt: string;
	/** One calendar month after receipt (Jan 31 → Feb 28/29), GDPR Art. 12(3). */
	dueBy: string;
	/** The latest date with the two-month extension Art. 12(3) allows, if the controller invokes it. */
	extendedDueBy: string;
	completedAt: string;
	/** HMAC-SHA-256 of the normalised email under the installation key, when a key is given. */
	subjectHmac?: string;
	systems: SystemReceipt[];
	/** True only when every system is "access removed" or "no access found". */
	complete: boolean;
	statement: string;
}

export interface ReceiptInput {
	requestId: string;
	receivedAt: Date;
	completedAt: Date;
	outcomes: readonly ReportedOutcome[];
	/** An outcome's system name (a SCIM app's "Slack"): one receipt entry per system id and name. */
	nameOf?: NameOf;
	email?: string;
	/** Installation key for `subjectHmac`; without one the receipt carries no subject identifier. */
	hmacKey?: string;
}

/** Adds calendar months in UTC, clamping to the month's last day (Jan 31 + 1 month = Feb 28/29). */
export function addCalendarMonths(date: Date, months: number): Date {
	return DateTime.fromJSDate(date, { zone: 'utc' }).plus({ months }).toJSDate();
}

/**
 * A keyed hash of an email for logs: unlike a plain SHA-256 of an email, it cannot be reversed by
 * hashing a list of likely addresses without the installation key.
 */
export function emailHmac(email: string, key: string): string {
	return createHmac('sha256', key).update(email.trim().toLowerCase()).digest('hex');
}

function systemStatus(
	counts: Record<OutcomeStatus, number>,
	unconfirmed: number,
): SystemReceiptStatus {
	const total = Object.values(counts).reduce((a, b) => a + b, 0);
	if (counts.failed > 0) return counts.failed === total ? 'failed' : 'partly failed';
	if (counts.would_remove > 0) return 'would remove';
	if (unconfirmed > 0)
		return counts.removed > 0
			? 'access removed, partly unconfirmed'
			: 'no access found, unconfirmed';
	if (counts.removed > 0) return 'access removed';
	if (counts.not_found > 0) return 'no access found';
	return 'skipped';
}

/** What a system that is not done says in the statement. */
function unfinished(system: SystemReceipt): string {
	if (system.status === 'skipped')
		return `was not checked (${system.skipped[0] ?? 'nothing to send'})`;
	if (system.status === 'would remove') return 'would remove (dry run: nothing was sent)';
	if (system.unconfirmed.length > 0) return `${system.status} (${system.unconfirmed[0]})`;
	return `${system.status} (see its failures)`;
}

export function buildReceipt(input: ReceiptInput): GdprReceipt {
	const nameOf = input.nameOf ?? registryName;
	const bySystem = new Map<string, NamedSystem & { outcomes: ReportedOutcome[] }>();
	for (const outcome of input.outcomes) {
		const name = nameOf(outcome);
		const key = `${outcome.system}\u0000${name}`;
		const entry = bySystem.get(key) ?? { system: outcome.system, name, outcomes: [] };
		entry.outcomes.push(outcome);
		bySystem.set(key, entry);
	}
	const inOrder = [...bySystem.values()].sort(namedSystemOrder);
	const systems: SystemReceipt[] = inOrder.map(({ system, name, outcomes }) => {
		const counts: Record<OutcomeStatus, number> = {
			removed: 0,
			not_found: 0,
			would_remove: 0,
			skipped: 0,
			failed: 0,
		};
		let unconfirmed = 0;
		for (const o of outcomes) {
			counts[o.status]++;
			if (o.scopeUnconfirmed) unconfirmed++;
		}
		const reasons = (status: OutcomeStatus): string[] => [
			...new Set(outcomes.filter((o) => o.status === status).map((o) => o.reason)),
		];
		return {
			system,
			name,
			status: systemStatus(counts, unconfirmed),
			counts,
			failures: reasons('failed'),
			skipped: reasons('skipped'),
			unconfirmed: [
				...new Set(
					outcomes
						.filter((o) => o.scopeUnconfirmed)
						.map((o) => whatToCheck(SYSTEMS[system], o.scope)),
				),
			],
		};
	});
	const complete =
		systems.length > 0 &&
		systems.every((s) => s.status === 'access removed' || s.status === 'no access found');
	const removedFrom = systems.filter((s) => s.status === 'access removed').map((s) => s.name);
	const statement = complete
		? `Access removed${removedFrom.length ? ` from ${removedFrom.join(', ')}` : ''}; no access found in the other systems checked. This confirms the removal of access, not the erasure of data the vendors hold.`
		: `Not complete: ${systems
				.filter((s) => s.status !== 'access removed' && s.status !== 'no access found')
				.map((s) => `${s.name} ${unfinished(s)}`)
				.join('; ')}. This receipt must not be sent as confirmation.`;
	return {
		requestId: input.requestId,
		receivedAt: input.receivedAt.toISOString(),
		dueBy: addCalendarMonths(input.receivedAt, 1).toISOString(),
		extendedDueBy: addCalendarMonths(input.receivedAt, 3).toISOString(),
		completedAt: input.completedAt.toISOString(),
		...(input.email && input.hmacKey ? { subjectHmac: emailHmac(input.email, input.hmacKey) } : {}),
		systems,
		complete,
		statement,
	};
}
