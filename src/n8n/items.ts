/** Engine outcomes as n8n items: `pairedItem` always, `item.error` on failures for the error output. */
import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type JsonObject,
	NodeApiError,
} from 'n8n-workflow';
import type { PairOutcome } from '../engine/outcome';

/**
 * An outcome as an item. `systemName` is the name the node's system went by (a SCIM app's "Slack",
 * a seed system's display name), so that the Offboarding Report node can keep two apps apart.
 */
export function outcomeJson(outcome: PairOutcome, systemName: string): IDataObject {
	const json: IDataObject = {
		row: outcome.row,
		email: outcome.email ?? null,
		system: outcome.system,
		systemName,
		scope: { ...outcome.scope },
		userId: outcome.userId,
		status: outcome.status,
		httpStatus: outcome.httpStatus ?? null,
		attempts: outcome.attempts,
		durationMs: outcome.durationMs,
		reason: outcome.reason,
	};
	if (outcome.confirmedAfterUncertain) json.confirmedAfterUncertain = true;
	if (outcome.uncertain) json.uncertain = true;
	if (outcome.scopeUnconfirmed) json.scopeUnconfirmed = true;
	if (outcome.detail) json.detail = { ...outcome.detail };
	if (outcome.request) json.request = JSON.parse(JSON.stringify(outcome.request)) as IDataObject;
	return json;
}

/** A failure that names its row, user and system on its own: n8n 2.40 keeps only this message. */
export function failureMessage(outcome: PairOutcome, systemName: string): string {
	const who = [outcome.email, outcome.userId]
		.filter((v) => v !== undefined && v !== '')
		.join(' / ');
	const scope = Object.values(outcome.scope).join(' / ');
	// A planning reason starts with "row N: " itself; the message already begins with the row.
	const reason = outcome.reason.replace(new RegExp(`^row ${outcome.row}: `), '');
	return `Row ${outcome.row}${who ? ` (${who})` : ''}, ${systemName}${scope ? ` ${scope}` : ''}: ${reason}`;
}

/**
 * One item per outcome, paired to its input item. The node never throws for a failed pair. When
 * the node's On Error is "continue (using error output)", a failed pair's item carries `error` (a
 * NodeApiError with its item index), which n8n moves to the error output. n8n 2.40 then replaces
 * such an item's json with `{ error: message }` (WorkflowExecute.normalizeNodeErrors), so the
 * message names the row, user and system; under any other On Error the item keeps every field.
 */
export function outcomeItem(
	context: IExecuteFunctions,
	outcome: PairOutcome,
	systemName: string,
	itemIndex: number,
	routeToErrorOutput: boolean,
): INodeExecutionData {
	const item: INodeExecutionData = {
		json: outcomeJson(outcome, systemName),
		pairedItem: { item: itemIndex },
	};
	if (outcome.status === 'failed' && routeToErrorOutput) {
		const message = failureMessage(outcome, systemName);
		item.error = new NodeApiError(context.getNode(), { message } as JsonObject, {
			itemIndex,
			message,
			httpCode: outcome.httpStatus === undefined ? undefined : String(outcome.httpStatus),
		});
	}
	return item;
}
