/** The node parameter that picks where limits are shared (src/n8n/limitStore.ts), and its credential. */
import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

export const LIMIT_STORE_PARAMETER: INodeProperties = {
	displayName: 'Shared Limits',
	name: 'limitStore',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Automatic',
			value: 'auto',
			description:
				"In queue mode, n8n's own Redis: every worker shares one limit per system. Otherwise this n8n process.",
		},
		{
			name: 'Redis Credential',
			value: 'redisCredential',
			description: 'A Redis of your choice, shared by every n8n process that uses it',
		},
	],
	default: 'auto',
	description:
		'Where the rate, the requests in flight and what was learned about each system are kept',
};

/**
 * This package's Redis credential (n8n's own Redis fields), asked for only when Shared Limits is
 * "Redis Credential" (n8n forbids a community node another package's credential type). Hidden
 * with `hide` rather than shown with `show`: n8n's editor takes a parameter named in a credential's
 * `displayOptions.show` for the node's authentication field and moves it out of the panel.
 */
export const REDIS_CREDENTIAL: INodeCredentialDescription = {
	name: 'sharedLimitsRedisApi',
	required: true,
	testedBy: 'sharedLimitsRedisTest',
	displayOptions: { hide: { limitStore: ['auto'] } },
};
