/** ProductBridge "Delete a user": POST /api/external/v1/users/delete, `{api_key, user_id}` in the body. */
import { z } from 'zod';
import type { SystemDefinition } from './types';

export const productBridge: SystemDefinition = {
	id: 'productBridge',
	displayName: 'ProductBridge',
	defaultBaseUrl: 'https://api.productbridge.io',
	credential: {
		type: 'productBridgeApi',
		// doc: the api_key travels in the JSON body, beside user_id.
		auth: () => ({ kind: 'bodyField', field: 'api_key', valueField: 'apiKey' }),
		// It validates user_id as a UUID before it checks the api_key: the nil UUID passes.
		probeUserId: '00000000-0000-0000-0000-000000000000',
	},
	userIdField: 'productBridgeUserId',
	userIdLabel: 'user id',
	// Documented as a UUID, but the page's own example is not one: the API's 422 is reported instead.
	userIdRule: 'text',
	scopeFields: [],
	method: 'POST',
	path: '/api/external/v1/users/delete',
	// The api_key is added by the credential, never here.
	body: (userId) => ({ user_id: userId }),
	success: z.object({ success: z.literal(true) }),
	notThere: { status: 404, message: /user not found/i },
	rules: [
		{
			status: 422,
			kind: 'rejected',
			hint: 'ProductBridge expects user_id to be a UUID',
		},
	],
};
