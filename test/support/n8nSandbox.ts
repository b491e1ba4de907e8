/** Every credential type, the five seed ones filled with the sandbox's demo credentials, for node tests. */
import type {
	IBinaryData,
	ICredentialDataDecryptedObject,
	ICredentialType,
	INodeExecutionData,
} from 'n8n-workflow';
import { EjentoApi } from '../../credentials/EjentoApi.credentials';
import { FlashbackApi } from '../../credentials/FlashbackApi.credentials';
import { MudbaseApi } from '../../credentials/MudbaseApi.credentials';
import { ProductAccessApi } from '../../credentials/ProductAccessApi.credentials';
import { ProductBridgeApi } from '../../credentials/ProductBridgeApi.credentials';
import { CustomHttpApi } from '../../credentials/CustomHttpApi.credentials';
import { ScimApi } from '../../credentials/ScimApi.credentials';
import { SEED_SYSTEM_IDS, type SeedSystemId } from '../../src/systems';
import {
	DEMO_CREDENTIALS,
	DEMO_SCOPE_PARAMETERS,
	type Sandbox,
	sandboxCredentialData,
} from '../../sandbox';

export const CREDENTIAL_TYPES: Record<string, ICredentialType> = {
	productAccessApi: new ProductAccessApi(),
	productBridgeApi: new ProductBridgeApi(),
	ejentoApi: new EjentoApi(),
	flashbackApi: new FlashbackApi(),
	mudbaseApi: new MudbaseApi(),
	scimApi: new ScimApi(),
	customHttpApi: new CustomHttpApi(),
};

export function sandboxCredentials(
	sandbox: Sandbox,
): Record<string, ICredentialDataDecryptedObject> {
	return sandboxCredentialData(sandbox.baseUrls);
}

/** One item carrying a CSV file in its binary property `data`, as Read File hands it over. */
export function csvItem(csv: string, fileName = 'leavers.csv'): INodeExecutionData {
	const data: IBinaryData = {
		data: Buffer.from(csv, 'utf8').toString('base64'),
		mimeType: 'text/csv',
		fileName,
	};
	return { json: {}, binary: { data } };
}

/** Every secret value of the demo credentials. */
export const DEMO_SECRETS = [
	DEMO_CREDENTIALS.productAccess.token,
	DEMO_CREDENTIALS.productBridge.apiKey,
	DEMO_CREDENTIALS.ejento.token,
	DEMO_CREDENTIALS.ejento.apiKey,
	DEMO_CREDENTIALS.flashback.token,
	DEMO_CREDENTIALS.mudbase.password,
];

/** Node parameters: every system, scopes fixed to the demo ones. */
export function offboardParameters(extra: Record<string, unknown> = {}) {
	return {
		systems: ['productAccess', 'productBridge', 'ejento', 'flashback', 'mudbase'],
		inputSource: 'items',
		...DEMO_SCOPE_PARAMETERS,
		outputMode: 'perResult',
		options: {},
		...extra,
	};
}

/** Short system labels for test tables. */
export const SHORT: Record<SeedSystemId, string> = {
	productAccess: 'PA',
	productBridge: 'PB',
	ejento: 'EJ',
	flashback: 'FB',
	mudbase: 'MB',
};

/** The node's System Limits option, the same fast limits for every system (tests run in seconds). */
export function fastLimits(limits: {
	maxConcurrency: number;
	ratePerSecond: number;
	requestTimeoutSeconds: number;
}) {
	return {
		systemLimits: {
			limit: SEED_SYSTEM_IDS.map((system) => ({
				system,
				maxAttempts: 3,
				maxRetryAfterSeconds: 5,
				...limits,
			})),
		},
	};
}
