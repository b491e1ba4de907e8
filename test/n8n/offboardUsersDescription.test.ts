/**
 * Offboard Users' description as n8n reads it: which credentials a selection of systems asks for
 * (n8n-workflow's own displayParameter), and that no parameter qualifies as the editor's
 * "authentication" field, which the editor would hide from the panel.
 */
import { NodeHelpers } from 'n8n-workflow';
import { OffboardUsers } from '../../nodes/OffboardUsers/OffboardUsers.node';

const description = new OffboardUsers().description;

function credentialsAskedFor(systems: string[], limitStore = 'auto'): string[] {
	return (description.credentials ?? [])
		.filter((credential) =>
			NodeHelpers.displayParameter({ systems, limitStore }, credential, null, description),
		)
		.map((credential) => credential.name);
}

describe('Offboard Users description', () => {
	it('asks for exactly the credentials of the selected systems', () => {
		expect(credentialsAskedFor(['ejento'])).toEqual(['ejentoApi']);
		expect(credentialsAskedFor(['mudbase', 'productAccess'])).toEqual([
			'productAccessApi',
			'mudbaseApi',
		]);
		expect(
			credentialsAskedFor(['productAccess', 'productBridge', 'ejento', 'flashback', 'mudbase']),
		).toEqual(['productAccessApi', 'productBridgeApi', 'ejentoApi', 'flashbackApi', 'mudbaseApi']);
		// The Shared Limits Redis credential, only when Shared Limits is "Redis Credential".
		expect(credentialsAskedFor(['ejento'], 'redisCredential')).toEqual([
			'ejentoApi',
			'sharedLimitsRedisApi',
		]);
	});

	it('names each credential after its system, so seven selectors can be told apart', () => {
		expect(
			description.credentials
				?.filter((c) => c.name !== 'sharedLimitsRedisApi')
				.map((c) => c.displayName),
		).toEqual([
			'Product Access Credential',
			'ProductBridge Credential',
			'Ejento Credential',
			'Flashback Credential',
			'Mudbase Credential',
			'SCIM Credential',
			'Custom HTTP Credential',
		]);
	});

	it("gives the editor no parameter to take for the node's authentication field", () => {
		// n8n's editor (getNodeAuthFields/getMainAuthField) looks only at credentials' displayOptions.show:
		// a parameter named there whose every option is named there is hidden from the panel.
		expect(description.credentials?.filter((c) => c.displayOptions?.show)).toEqual([]);
	});
});
