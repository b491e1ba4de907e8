/** Engine outcomes as n8n items: `pairedItem` always, `item.error` on failures for the error output. */
import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type JsonObject,
	NodeApiError,
} from 'n8n-workflow';
import type { PairOutcome } from '../engine/outcome';

export function outcomeJson(outcome: PairOutcome): IDataObject {
	const json: IDataObject = {
		row: outcome.row,
		email: outcome.email ?? null,
		system: outcome.system,
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
	if (outcome.detail) json.detail = { ...outcome.detail };
	if (outcome.request) json.request = JSON.parse(JSON.stringify(outcome.request)) as IDataObject;
	return json;
}

/**
 * One item per outcome. A failed pair carries `error` (a NodeApiError with its item index), which
 * n8n moves to the error output under On Error "continue (using error output)"; the node itself
 * never throws for it.
 */
export function outcomeItem(
	context: IExecuteFunctions,
	outcome: PairOutcome,
	itemIndex: number,
): INodeExecutionData {
	const item: INodeExecutionData = { json: outcomeJson(outcome), pairedItem: { item: itemIndex } };
	if (outcome.status === 'failed') {
		item.error = new NodeApiError(context.getNode(), { message: outcome.reason } as JsonObject, {
			itemIndex,
			message: outcome.reason,
			httpCode: outcome.httpStatus === undefined ? undefined : String(outcome.httpStatus),
		});
	}
	return item;
}
