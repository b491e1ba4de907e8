/**
 * Outcome items read back: what `outcomeJson` wrote, from any of this package's nodes (usually
 * several, combined by a Merge node), as the outcomes a report and a receipt are made of.
 */
import type { IDataObject } from 'n8n-workflow';
import { z } from 'zod';
import { OUTCOME_STATUSES, type ReportedOutcome } from '../engine/outcome';
import { SYSTEM_IDS, SYSTEMS } from '../systems';

const outcomeItemSchema = z.object({
	row: z.number().int().positive(),
	email: z.string().nullish(),
	system: z.enum(SYSTEM_IDS),
	// Absent in items written before outcomes named their app: the registry's name.
	systemName: z.string().min(1).optional(),
	scope: z.record(z.string()),
	userId: z.string(),
	status: z.enum(OUTCOME_STATUSES),
	httpStatus: z.number().int().nullish(),
	attempts: z.number().int().nonnegative(),
	durationMs: z.number().nonnegative(),
	reason: z.string(),
	confirmedAfterUncertain: z.literal(true).optional(),
	uncertain: z.literal(true).optional(),
	scopeUnconfirmed: z.literal(true).optional(),
	detail: z.record(z.string().nullable()).optional(),
	request: z
		.object({
			method: z.string(),
			url: z.string(),
			headers: z.record(z.string()),
			body: z.record(z.unknown()).optional(),
		})
		.optional(),
});

/** An outcome read from an item, with the name its system went by in the node that made it. */
export interface NamedOutcome {
	outcome: ReportedOutcome;
	systemName: string;
}

export type OutcomeItemReading = NamedOutcome | { problem: string };

/** "system is missing; status: Invalid enum value…": what makes an item not an outcome, briefly. */
function problemOf(error: z.ZodError): string {
	const problems = error.issues.slice(0, 4).map((issue) => {
		const field = issue.path.join('.') || 'the item';
		if (issue.code === 'invalid_type' && issue.received === 'undefined')
			return `${field} is missing`;
		return `${field}: ${issue.message}`;
	});
	const more = error.issues.length - problems.length;
	return `${problems.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

/** One item's json as an outcome, or what is missing from it. */
export function readOutcomeItem(json: IDataObject): OutcomeItemReading {
	const parsed = outcomeItemSchema.safeParse(json);
	if (!parsed.success) {
		// An error output keeps only `{ error: message }` (n8n 2.40): say where the fields went.
		const fromErrorOutput =
			typeof json.error === 'string' && Object.keys(json).length === 1
				? ". It looks like an item from an error output, which keeps only the message: set the offboarding node's On Error to stop or to continue (regular output) so that failed pairs stay on its main output"
				: '';
		return { problem: `${problemOf(parsed.error)}${fromErrorOutput}` };
	}
	const item = parsed.data;
	return {
		systemName: item.systemName ?? SYSTEMS[item.system].displayName,
		outcome: {
			row: item.row,
			...(typeof item.email === 'string' ? { email: item.email } : {}),
			system: item.system,
			scope: item.scope,
			userId: item.userId,
			status: item.status,
			...(typeof item.httpStatus === 'number' ? { httpStatus: item.httpStatus } : {}),
			attempts: item.attempts,
			durationMs: item.durationMs,
			reason: item.reason,
			...(item.confirmedAfterUncertain ? { confirmedAfterUncertain: true as const } : {}),
			...(item.uncertain ? { uncertain: true as const } : {}),
			...(item.scopeUnconfirmed ? { scopeUnconfirmed: true as const } : {}),
			...(item.detail ? { detail: item.detail } : {}),
			...(item.request ? { request: item.request } : {}),
		},
	};
}
