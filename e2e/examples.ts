/**
 * The example workflows in `examples/` and the credentials they refer to, generated at import time
 * for a running sandbox: the demo points them at the sandbox's fixed ports, tests at ephemeral ones.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_CREDENTIALS, type Sandbox, sandboxCredentialData } from '../sandbox';
import { signedHeaders } from '../src/signature';
import type { CredentialRecord, WorkflowRecord } from './n8n';
import { REPO_ROOT } from './runtime';

export const EXAMPLES = {
	nightly: { file: 'nightly-offboarding.json', id: 'offboardingNightly' },
	gdpr: { file: 'gdpr-erasure-webhook.json', id: 'offboardingGdprWebhook' },
	oneUser: { file: 'one-user-one-system.json', id: 'offboardingOneUser' },
} as const;

/**
 * Examples that need servers the sandbox does not run (SCIM apps): loaded by their own tests, not
 * imported with the others (their credentials would point nowhere in `npm start`).
 */
export const EXTRA_EXAMPLES = {
	manyApps: { file: 'many-apps-one-report.json', id: 'offboardingManyApps' },
} as const;

/** The folder the nightly example reads from and writes to, as shipped (n8n's Docker image). */
export const EXAMPLE_FOLDER = '/home/node/.n8n-files/offboarding';
export const WEBHOOK_PATH = 'gdpr-erasure';

/** Reads an example; `folder` replaces the nightly example's folder setting. */
export function loadExample(
	name: keyof typeof EXAMPLES | keyof typeof EXTRA_EXAMPLES,
	folder?: string,
): WorkflowRecord {
	const file =
		name in EXAMPLES
			? EXAMPLES[name as keyof typeof EXAMPLES].file
			: EXTRA_EXAMPLES[name as keyof typeof EXTRA_EXAMPLES].file;
	const text = readFileSync(join(REPO_ROOT, 'examples', file), 'utf8');
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

/** A random signing secret for the GDPR webhook, made at import time (never a fixed value). */
export function newSigningSecret(): string {
	return randomBytes(32).toString('base64url');
}

/**
 * A signed JSON POST, as a GDPR caller sends it: the body's bytes are fixed once, then signed
 * (src/signature.ts). `now` moves the timestamp (a stale request); the same result sent twice is a replay.
 */
export function signedPost(
	secret: string,
	body: unknown,
	now = Date.now(),
): { method: 'POST'; headers: Record<string, string>; body: string } {
	const text = JSON.stringify(body);
	return {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...signedHeaders(secret, text, now) },
		body: text,
	};
}

/**
 * The bash a caller runs (curl + openssl), as the README shows it: `secret` and `body` as given,
 * the timestamp and signature computed by the shell at run time.
 */
export function signedCurl(url: string, secret: string, body: string): string {
	const quote = (text: string) => `'${text.split("'").join(`'\\''`)}'`;
	return [
		`SECRET=${quote(secret)}`,
		`body=${quote(body)}`,
		`ts=$(date +%s)`,
		`sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')`,
		`curl -s -X POST ${url} -H "X-Timestamp: $ts" -H "X-Signature: sha256=$sig" \\`,
		`  -H 'Content-Type: application/json' --data-binary "$body"`,
	].join('\n');
}

/** The credentials the examples refer to (by id), filled in for `sandbox`. */
export function exampleCredentials(
	baseUrls: Sandbox['baseUrls'],
	signingSecret: string,
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
			id: 'demoWebhookSigning',
			name: 'Webhook signing secret (sandbox)',
			type: 'webhookSigningSecretApi',
			data: { secret: signingSecret },
		},
	];
}

/** Every secret value the example credentials hold. */
export function exampleSecrets(signingSecret: string): string[] {
	return [
		DEMO_CREDENTIALS.productAccess.token,
		DEMO_CREDENTIALS.productBridge.apiKey,
		DEMO_CREDENTIALS.ejento.token,
		DEMO_CREDENTIALS.flashback.token,
		DEMO_CREDENTIALS.mudbase.password,
		signingSecret,
	];
}
