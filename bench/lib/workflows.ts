/**
 * The benchmark workflows, built in code: ours (Read CSV → Offboard Users), the usual n8n ways
 * (Extract From File → HTTP Request with Batching and Retry On Fail; Loop Over Items + Wait) and the
 * two webhooks of the fairness and latency runs. Parameter shapes are n8n 2.40.7's own (read from
 * `n8n-nodes-base/dist/nodes/HttpRequest/V3/Description.js`, `SplitInBatches/v3`, `Wait`).
 */
import type { WorkflowRecord } from '../../e2e/n8n';
import { DEMO_SCOPE_PARAMETERS, DEMO_SCOPES, type Sandbox } from '../../sandbox';
import type { SeedSystemId } from '../../src/systems';
import { CREDENTIAL_TYPE, credentialRef } from './n8nHarness';

export const OFFBOARD_NODE = 'Offboard Users';
export const HTTP_NODE = 'HTTP Request';

/** One row of the node's Options → Limits per System. */
export interface NodeLimits {
	maxConcurrency: number;
	/** The starting rate (discovery moves it); `maxRatePerSecond` is the ceiling. */
	ratePerSecond: number;
	maxRatePerSecond: number;
	maxAttempts: number;
	maxRetryAfterSeconds: number;
	requestTimeoutSeconds: number;
}

/** What the benchmarks configure: a generous ceiling, since the real limit is hidden. */
export const BENCH_LIMITS: NodeLimits = {
	maxConcurrency: 8,
	ratePerSecond: 100,
	maxRatePerSecond: 100,
	maxAttempts: 8,
	maxRetryAfterSeconds: 120,
	requestTimeoutSeconds: 15,
};

/** Limits raised out of the way, for runs against an instant emulator (overhead, memory). */
export const UNLIMITED: NodeLimits = {
	...BENCH_LIMITS,
	maxConcurrency: 16,
	ratePerSecond: 100_000,
	maxRatePerSecond: 100_000,
};

type WorkflowNode = WorkflowRecord['nodes'][number] & Record<string, unknown>;
type Connections = Record<
	string,
	{ main: Array<Array<{ node: string; type: 'main'; index: number }>> }
>;

let nodeCounter = 0;
function node(
	name: string,
	type: string,
	typeVersion: number,
	parameters: Record<string, unknown>,
	extra: Record<string, unknown> = {},
): WorkflowNode {
	nodeCounter++;
	return {
		id: `bench-node-${nodeCounter}`,
		name,
		type,
		typeVersion,
		position: [nodeCounter * 220, 0],
		parameters,
		...extra,
	};
}

function chain(...names: string[]): Connections {
	const connections: Connections = {};
	for (let i = 0; i + 1 < names.length; i++)
		connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	return connections;
}

function workflow(
	id: string,
	name: string,
	nodes: WorkflowNode[],
	connections: Connections,
): WorkflowRecord {
	return { id, name, active: false, nodes, connections, settings: { executionOrder: 'v1' } };
}

const manual = (): WorkflowNode => node('Run now', 'n8n-nodes-base.manualTrigger', 1, {});
const readCsv = (path: string): WorkflowNode =>
	node('Read leavers CSV', 'n8n-nodes-base.readWriteFile', 1, { fileSelector: path, options: {} });

/** The Offboard Users node for `systems`, scopes fixed to the sandbox's demo scopes. */
function offboardNode(options: {
	systems: SeedSystemId[];
	inputSource: 'csv' | 'items';
	outputMode: 'summary' | 'perResult' | 'receipt';
	deletionThreshold: number;
	/** `null`: no Limits per System at all (the package's defaults). */
	limits: NodeLimits | null;
	requestId?: string;
	dryRun?: boolean;
}): WorkflowNode {
	const credentials: Record<string, { id: string; name: string }> = {};
	for (const system of options.systems) {
		const type = CREDENTIAL_TYPE[system];
		credentials[type] = credentialRef(`bench_${type}`);
	}
	return node(
		OFFBOARD_NODE,
		'n8n-nodes-batch-offboarding.offboardUsers',
		1,
		{
			systems: options.systems,
			inputSource: options.inputSource,
			...(options.inputSource === 'csv' ? { binaryPropertyName: 'data' } : {}),
			...DEMO_SCOPE_PARAMETERS,
			outputMode: options.outputMode,
			...(options.requestId ? { requestId: options.requestId } : {}),
			options: {
				deletionThreshold: options.deletionThreshold,
				...(options.dryRun ? { dryRun: true } : {}),
				...(options.limits
					? {
							systemLimits: {
								limit: options.systems.map((system) => ({ system, ...options.limits })),
							},
						}
					: {}),
			},
		},
		{ credentials },
	);
}

/** Run now → Read CSV → Offboard Users: the nightly job, as a user builds it. */
export function offboardCsvWorkflow(options: {
	id: string;
	csvPath: string;
	systems: SeedSystemId[];
	outputMode: 'summary' | 'perResult';
	deletionThreshold: number;
	/** Absent: BENCH_LIMITS; `null`: no Limits per System at all (the package's defaults). */
	limits?: NodeLimits | null;
	dryRun?: boolean;
}): WorkflowRecord {
	const nodes = [
		manual(),
		readCsv(options.csvPath),
		offboardNode({
			systems: options.systems,
			inputSource: 'csv',
			outputMode: options.outputMode,
			deletionThreshold: options.deletionThreshold,
			limits: options.limits === undefined ? BENCH_LIMITS : options.limits,
			dryRun: options.dryRun,
		}),
	];
	return workflow(options.id, `Bench: ${options.id}`, nodes, chain(...nodes.map((n) => n.name)));
}

export interface HttpWay {
	/** HTTP Request's Options → Batching (items per batch, ms between batches); absent: none. */
	batching?: { batchSize: number; batchInterval: number };
	/** Loop Over Items (batch size) + Wait (seconds) around the HTTP Request node. */
	loop?: { batchSize: number; waitSeconds: number };
}

/**
 * The usual way: Read CSV → Extract From File → HTTP Request (DELETE per row, a header credential,
 * Retry On Fail 5 × 5 s, On Error: continue) — optionally inside Loop Over Items + Wait.
 */
export function httpRequestWorkflow(options: {
	id: string;
	csvPath: string;
	baseUrls: Sandbox['baseUrls'];
	way: HttpWay;
}): WorkflowRecord {
	const http = node(
		HTTP_NODE,
		'n8n-nodes-base.httpRequest',
		4.2,
		{
			method: 'DELETE',
			url: `=${options.baseUrls.flashback}/workspace/${DEMO_SCOPES.flashback.workspaceId}/users/{{ $json.flashbackUserId }}`,
			authentication: 'genericCredentialType',
			genericAuthType: 'httpHeaderAuth',
			options: options.way.batching ? { batching: { batch: options.way.batching } } : {},
		},
		{
			credentials: { httpHeaderAuth: credentialRef('bench_flashbackHeader') },
			retryOnFail: true,
			maxTries: 5,
			waitBetweenTries: 5000,
			onError: 'continueRegularOutput',
		},
	);
	const extract = node('Extract from CSV', 'n8n-nodes-base.extractFromFile', 1, {
		operation: 'csv',
		binaryPropertyName: 'data',
		options: {},
	});
	const head = [manual(), readCsv(options.csvPath), extract];
	if (!options.way.loop) {
		const nodes = [...head, http];
		return workflow(options.id, `Bench: ${options.id}`, nodes, chain(...nodes.map((n) => n.name)));
	}
	const loop = node('Loop Over Items', 'n8n-nodes-base.splitInBatches', 3, {
		batchSize: options.way.loop.batchSize,
		options: {},
	});
	const wait = node(
		'Wait',
		'n8n-nodes-base.wait',
		1.1,
		{ amount: options.way.loop.waitSeconds, unit: 'seconds' },
		{ webhookId: '3f1c2b7e-8d4a-4c6e-9b1f-0a2d3e4f5a6b' },
	);
	const connections: Connections = {
		...chain(...head.map((n) => n.name), loop.name),
		// Loop Over Items v3: output 0 is "done", output 1 is "loop".
		[loop.name]: { main: [[], [{ node: http.name, type: 'main', index: 0 }]] },
		...chain(http.name, wait.name, loop.name),
	};
	return workflow(options.id, `Bench: ${options.id}`, [...head, loop, http, wait], connections);
}

export const GDPR_WEBHOOK_PATH = 'bench-gdpr';
export const NIGHTLY_WEBHOOK_PATH = 'bench-nightly';

/**
 * One workflow, two webhooks (one `publish:workflow`): a GDPR erasure request answered with its
 * receipt, and a trigger that starts the nightly CSV run and answers at once.
 */
export function webhooksWorkflow(options: {
	id: string;
	csvPath: string;
	nightlySystems: SeedSystemId[];
	deletionThreshold: number;
}): WorkflowRecord {
	const header = { httpHeaderAuth: credentialRef('bench_webhookHeader') };
	// As examples/gdpr-erasure-webhook.json: no header auth, the raw body, a signature checked.
	const gdprHook = node(
		'Erasure request',
		'n8n-nodes-base.webhook',
		2,
		{
			httpMethod: 'POST',
			path: GDPR_WEBHOOK_PATH,
			responseMode: 'responseNode',
			options: { rawBody: true },
		},
		{ webhookId: '9a0e6c3d-1b2f-4e5a-8c7d-6f5e4d3c2b1a' },
	);
	const verify = node(
		'Verify Webhook Signature',
		'n8n-nodes-batch-offboarding.verifyWebhookSignature',
		1,
		{ rawBodyField: 'data' },
		{ credentials: { webhookSigningSecretApi: credentialRef('bench_webhookSigning') } },
	);
	const refuse = node('Refuse (401)', 'n8n-nodes-base.respondToWebhook', 1.1, {
		respondWith: 'json',
		responseBody: '={{ { "error": $json.reason } }}',
		options: { responseCode: 401 },
	});
	const subject = node('Subject', 'n8n-nodes-base.set', 3.4, {
		mode: 'raw',
		jsonOutput:
			'={{ JSON.stringify(Object.assign({ requestId: $json.body.requestId, email: $json.body.email }, $json.body.ids)) }}',
		options: {},
	});
	const gdprOffboard = offboardNode({
		systems: ['productAccess', 'productBridge', 'ejento', 'flashback', 'mudbase'],
		inputSource: 'items',
		outputMode: 'receipt',
		deletionThreshold: 50,
		// The same limits as the nightly run: limits are per system + credential, and the last run's
		// settings win (DESIGN §4), so a webhook with other settings would re-pace the nightly run.
		limits: BENCH_LIMITS,
		requestId: '={{ $json.requestId }}',
	});
	gdprOffboard.name = `${OFFBOARD_NODE} (GDPR)`;
	const respond = node('Respond with receipt', 'n8n-nodes-base.respondToWebhook', 1.1, {
		respondWith: 'firstIncomingItem',
		options: { responseCode: '={{ $json.complete ? 200 : 502 }}' },
	});
	const nightlyHook = node(
		'Nightly trigger',
		'n8n-nodes-base.webhook',
		2,
		{
			httpMethod: 'POST',
			path: NIGHTLY_WEBHOOK_PATH,
			authentication: 'headerAuth',
			responseMode: 'onReceived',
			options: {},
		},
		{ webhookId: '2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901', credentials: header },
	);
	const nightlyRead = readCsv(options.csvPath);
	const nightlyOffboard = offboardNode({
		systems: options.nightlySystems,
		inputSource: 'csv',
		outputMode: 'summary',
		deletionThreshold: options.deletionThreshold,
		limits: BENCH_LIMITS,
	});
	return workflow(
		options.id,
		`Bench: ${options.id}`,
		[
			gdprHook,
			verify,
			subject,
			gdprOffboard,
			respond,
			refuse,
			nightlyHook,
			nightlyRead,
			nightlyOffboard,
		],
		{
			...chain(gdprHook.name, verify.name),
			[verify.name]: {
				main: [
					[{ node: subject.name, type: 'main', index: 0 }],
					[{ node: refuse.name, type: 'main', index: 0 }],
				],
			},
			...chain(subject.name, gdprOffboard.name, respond.name),
			...chain(nightlyHook.name, nightlyRead.name, nightlyOffboard.name),
		},
	);
}
