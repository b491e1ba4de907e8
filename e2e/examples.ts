/**
 * The example workflows in `examples/` and the credentials they refer to, generated at import time
 * for a running sandbox: the demo points them at the sandbox's fixed ports, tests at ephemeral ones.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_CREDENTIALS, type Sandbox, sandboxCredentialData } from '../sandbox';
import type { CredentialRecord, WorkflowRecord } from './n8n';
import { REPO_ROOT } from './runtime';

export const EXAMPLES = {
	nightly: { file: 'nightly-offboarding.json', id: 'offboardingNightly' },
	gdpr: { file: 'gdpr-erasure-webhook.json', id: 'offboardingGdprWebhook' },
	oneUser: { file: 'one-user-one-system.json', id: 'offboardingOneUser' },
} as const;

/** The folder the nightly example reads from and writes to, as shipped (n8n's Docker image). */
export const EXAMPLE_FOLDER = '/home/node/.n8n-files/offboarding';
export const WEBHOOK_PATH = 'gdpr-erasure';
export const WEBHOOK_HEADER = 'X-Offboarding-Key';

/** Reads an example; `folder` replaces the nightly example's folder setting. */
export function loadExample(name: keyof typeof EXAMPLES, folder?: string): WorkflowRecord {
	const text = readFileSync(join(REPO_ROOT, 'examples', EXAMPLES[name].file), 'utf8');
	const [workflow] = JSON.parse(
		folder === undefined ? text : text.split(EXAMPLE_FOLDER).join(folder),
	) as WorkflowRecord[];
	return workflow;
}

export function loadExamples(folder: string): WorkflowRecord[] {
	return (Object.keys(EXAMPLES) as Array<keyof typeof EXAMPLES>).map((name) =>
		loadExample(name, folder),
	);
}

/** A random secret for the webhook's header auth, made at import time (never a fixed value). */
export function newWebhookSecret(): string {
	return randomBytes(18).toString('base64url');
}

/** The credentials the examples refer to (by id), filled in for `sandbox`. */
export function exampleCredentials(
	baseUrls: Sandbox['baseUrls'],
	webhookSecret: string,
): CredentialRecord[] {
	const data = sandboxCredentialData(baseUrls);
	const record = (id: string, name: string, type: string): CredentialRecord => ({
		id,
		name,
		type,
		data: data[type],
	});
	return [
		record('demoProductAccess', 'Product Access (sandbox)', 'productAccessApi'),
		record('demoProductBridge', 'ProductBridge (sandbox)', 'productBridgeApi'),
		record('demoEjento', 'Ejento (sandbox)', 'ejentoApi'),
		record('demoFlashback', 'Flashback (sandbox)', 'flashbackApi'),
		record('demoMudbase', 'Mudbase (sandbox)', 'mudbaseApi'),
		{
			id: 'demoWebhookHeader',
			name: 'Webhook header (sandbox)',
			type: 'httpHeaderAuth',
			data: { name: WEBHOOK_HEADER, value: webhookSecret },
		},
	];
}

/** Every secret value the example credentials hold. */
export function exampleSecrets(webhookSecret: string): string[] {
	return [
		DEMO_CREDENTIALS.productAccess.token,
		DEMO_CREDENTIALS.productBridge.apiKey,
		DEMO_CREDENTIALS.ejento.token,
		DEMO_CREDENTIALS.flashback.token,
		DEMO_CREDENTIALS.mudbase.password,
		webhookSecret,
	];
}
