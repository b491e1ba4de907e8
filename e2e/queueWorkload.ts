/**
 * The queue-mode workload (issue 15), shared by the real queue-mode tests (test/e2e/queue.test.ts)
 * and the benchmark's queue-mode section (bench/sections/queueMode.ts): a sandbox whose Flashback
 * has a hidden rate limit (429 + Retry-After; its request log is the ground truth), a
 * `QueueCluster` (main + N workers, Redis, Postgres), and:
 *
 * - a batch workflow: Webhook (header auth) → Split Out → Offboard Users (Flashback only) → Respond,
 *   the summary (and the execution id) or every outcome item;
 * - the signed GDPR example limited to Flashback;
 * - four batches at once plus one-person GDPR requests during them, measured against the emulator.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { exampleCredentials, loadExample, newSigningSecret, signedPost } from './examples';
import type { WorkflowRecord } from './n8n';
import { QueueCluster } from './queue';
import type { Runtime } from './runtime';
import {
	type DemoPerson,
	demoPerson,
	DEMO_SCOPES,
	type RecordedRequest,
	type Sandbox,
	startSandbox,
} from '../sandbox';
import type { GdprReceipt } from '../src/receipt';

export const BATCH_PATH = 'queue-batch';
/** The same batch workflow answering one item per user (status, reason). */
export const RESULTS_PATH = 'queue-batch-results';
export const GDPR_PATH = 'queue-gdpr';
/** The summary batch workflow with `QueueWorkloadOptions.cappedLimits` (an explicit maximum rate). */
export const CAPPED_PATH = 'queue-batch-capped';

/** Flashback's limits in the batch workflow (Offboard Users' "Limits per System"). */
export interface BatchLimits {
	ratePerSecond: number;
	maxConcurrency: number;
	maxRatePerSecond?: number;
}

/** The hidden limit: its rate and burst, answered with 429 + Retry-After in seconds. */
export interface HiddenLimit {
	rate: number;
	burst: number;
}

export interface Workload {
	batches: number;
	batchSize: number;
	gdprCount: number;
	gdprSpacingMs: number;
	/**
	 * When the first GDPR request goes, after the batches were posted (ms). The benchmark waits as
	 * its single-process fairness section does (8 s: the batches have found the hidden limit, whose
	 * first 429 pauses the whole system once); the tests start 2 s in, during that discovery.
	 */
	gdprAfterMs: number;
}

export interface Totals {
	removed?: number;
	not_found?: number;
	failed?: number;
	skipped?: number;
}
export interface BatchSummary {
	totals: { flashback?: Totals };
	limitStore?: string;
	executionId?: string;
	warnings?: string[];
	stats?: unknown;
}
/** An Offboard Users outcome item (per-result mode). */
export interface OutcomeItem {
	userId: string;
	status: string;
	reason: string;
	uncertain?: boolean;
}
export interface BatchCall {
	users: DemoPerson[];
	status: number;
	text: string;
	summary?: BatchSummary;
	outcomes?: OutcomeItem[];
	ms: number;
}
export interface GdprCall {
	person: DemoPerson;
	status: number;
	/** When it was posted (epoch ms) and how long until its answer. */
	postedAt: number;
	ms: number;
	receipt?: GdprReceipt;
}

/**
 * Where GDPR requests' time went, p95 each (ms), from the emulator's log: before the DELETE that
 * removed the subject reached Flashback (n8n's webhook, the queue, the worker, the limiter's wait,
 * any 429 and pause), Flashback's answer, and after it (n8n finishing and answering).
 */
export interface GdprSplit {
	beforeDelete: number;
	system: number;
	after: number;
}

export function gdprSplit(calls: GdprCall[], removals: RecordedRequest[]): GdprSplit {
	const acting = new Map<string, RecordedRequest>();
	for (const r of removals) if (r.acted) acting.set(userOf(r), r);
	const parts = { beforeDelete: [] as number[], system: [] as number[], after: [] as number[] };
	for (const call of calls) {
		const r = acting.get(call.person.flashbackUserId);
		if (!r || r.answeredAt === undefined) continue;
		parts.beforeDelete.push(r.at - call.postedAt);
		parts.system.push(r.answeredAt - r.at);
		parts.after.push(call.postedAt + call.ms - r.answeredAt);
	}
	return {
		beforeDelete: p95(parts.beforeDelete),
		system: p95(parts.system),
		after: p95(parts.after),
	};
}

/**
 * Webhook (header auth) → Split Out `body.users` → Offboard Users (Flashback) → Respond: in summary
 * mode the summary (and the execution id), in per-result mode every outcome item.
 */
export function batchWorkflow(
	mode: 'summary' | 'perResult',
	limits: BatchLimits,
	capped = false,
): WorkflowRecord {
	const path = capped ? CAPPED_PATH : mode === 'summary' ? BATCH_PATH : RESULTS_PATH;
	const nodes = [
		{
			parameters: {
				httpMethod: 'POST',
				path,
				authentication: 'headerAuth',
				responseMode: 'responseNode',
				options: {},
			},
			id: 'qb-webhook',
			name: 'Batch request',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: randomUUID(),
			credentials: { httpHeaderAuth: { id: 'queueBatchKey', name: 'Batch webhook key' } },
		},
		{
			parameters: { fieldToSplitOut: 'body.users', include: 'noOtherFields', options: {} },
			id: 'qb-split',
			name: 'Users',
			type: 'n8n-nodes-base.splitOut',
			typeVersion: 1,
			position: [240, 0],
		},
		{
			parameters: {
				systems: ['flashback'],
				inputSource: 'items',
				flashbackWorkspaceIdSource: 'fixed',
				flashbackWorkspaceIdValues: DEMO_SCOPES.flashback.workspaceId,
				outputMode: mode,
				options: {
					deletionThreshold: 10_000,
					systemLimits: { limit: [{ system: 'flashback', ...limits }] },
				},
			},
			id: 'qb-offboard',
			name: 'Offboard Users',
			type: 'n8n-nodes-batch-offboarding.offboardUsers',
			typeVersion: 1,
			position: [480, 0],
			credentials: { flashbackApi: { id: 'demoFlashback', name: 'Flashback (sandbox)' } },
		},
		{
			parameters:
				mode === 'summary'
					? {
							respondWith: 'json',
							responseBody: '={{ Object.assign({ executionId: $execution.id }, $json) }}',
							options: {},
						}
					: { respondWith: 'allIncomingItems', options: {} },
			id: 'qb-respond',
			name: 'Respond',
			type: 'n8n-nodes-base.respondToWebhook',
			typeVersion: 1.1,
			position: [720, 0],
		},
	];
	return {
		id: capped ? 'queueBatchCapped' : mode === 'summary' ? 'queueBatch' : 'queueBatchResults',
		name: `Queue-mode batch (webhook, ${mode}${capped ? ', explicit maximum rate' : ''})`,
		active: true,
		nodes,
		connections: {
			'Batch request': { main: [[{ node: 'Users', type: 'main', index: 0 }]] },
			Users: { main: [[{ node: 'Offboard Users', type: 'main', index: 0 }]] },
			'Offboard Users': { main: [[{ node: 'Respond', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

/** The signed GDPR example, Flashback only (the system behind the hidden limit), active. */
export function gdprWorkflow(): WorkflowRecord {
	const workflow = loadExample('gdpr');
	const nodes = workflow.nodes.map((node) => {
		if (node.type === 'n8n-nodes-base.webhook')
			return {
				...node,
				webhookId: randomUUID(),
				parameters: { ...node.parameters, path: GDPR_PATH },
			};
		if (node.type.endsWith('.offboardUsers'))
			return { ...node, parameters: { ...node.parameters, systems: ['flashback'] } };
		return node;
	});
	return {
		...workflow,
		id: 'queueGdprFlashback',
		name: 'GDPR (Flashback only)',
		active: true,
		nodes,
	};
}

/**
 * The store a summary says its run used, as 'redis' or 'memory': the node may name the Redis
 * (`redis (n8n queue mode)`, `redis (credential)`); which Redis is not what these rows test.
 */
export function storeKind(summary: BatchSummary | undefined): string {
	const kind = summary?.limitStore;
	return typeof kind === 'string' && kind.startsWith('redis') ? 'redis' : String(kind);
}

/** A system's totals without the zero counts: `{ removed: 150 }`. */
export function counts(totals: Totals | undefined): Totals | undefined {
	if (!totals) return undefined;
	return Object.fromEntries(Object.entries(totals).filter(([, n]) => n !== 0)) as Totals;
}

export function p95(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)] ?? NaN;
}

export const userOf = (request: RecordedRequest): string => request.rawUrl.split('/').pop() ?? '';

export interface Measure {
	requests: number;
	rateLimited: number;
	share429: number;
	/** Most requests the emulator received in any 1-second window, and most it let through. */
	maxPerSecond: number;
	maxAdmittedPerSecond: number;
	/** Per user: acting DELETEs (took effect). */
	acted: Map<string, number>;
	/** DELETEs answered (not 429) after the one that removed the user: duplicate calls. */
	duplicates: string[];
}

export function measure(requests: RecordedRequest[]): Measure {
	const times = requests.map((r) => r.at).sort((a, b) => a - b);
	const admitted = requests
		.filter((r) => !r.rateLimited)
		.map((r) => r.at)
		.sort((a, b) => a - b);
	const acted = new Map<string, number>();
	const duplicates: string[] = [];
	const removedAt = new Map<string, number>();
	for (const r of [...requests].sort((a, b) => a.seq - b.seq)) {
		const user = userOf(r);
		if (r.acted) {
			acted.set(user, (acted.get(user) ?? 0) + 1);
			removedAt.set(user, r.seq);
		} else if (!r.rateLimited && removedAt.has(user)) duplicates.push(user);
	}
	const rateLimited = requests.filter((r) => r.rateLimited).length;
	return {
		requests: requests.length,
		rateLimited,
		share429: requests.length ? rateLimited / requests.length : 0,
		maxPerSecond: maxInWindow(times, 1000),
		maxAdmittedPerSecond: maxInWindow(admitted, 1000),
		acted,
		duplicates,
	};
}

export function maxInWindow(sortedTimes: number[], windowMs: number): number {
	let best = 0;
	let start = 0;
	for (let end = 0; end < sortedTimes.length; end++) {
		while (sortedTimes[end] - sortedTimes[start] >= windowMs) start++;
		best = Math.max(best, end - start + 1);
	}
	return best;
}

/** Users (of `people`) removed by exactly one acting DELETE; anyone else is listed with the count. */
export function notRemovedExactlyOnce(people: DemoPerson[], acted: Map<string, number>): string[] {
	return people
		.filter((p) => acted.get(p.flashbackUserId) !== 1)
		.map((p) => `${p.flashbackUserId}×${acted.get(p.flashbackUserId) ?? 0}`);
}

export interface Row {
	name: string;
	elapsedMs: number;
	measure: Measure;
	gdprP95: number;
	gdprSplit: GdprSplit;
	perWorker: number[];
	limitStores: string[];
}

export function describeRow(row: Row, workload: Workload, hidden: HiddenLimit): string {
	const m = row.measure;
	const ideal = idealSeconds(workload, hidden);
	return [
		`${row.name}: ${(row.elapsedMs / 1000).toFixed(1)} s (ideal ${ideal.toFixed(1)} s, ${(row.elapsedMs / 1000 / ideal).toFixed(2)} ×)`,
		`requests ${m.requests}, 429 ${m.rateLimited} (${(m.share429 * 100).toFixed(2)} %)`,
		`max ${m.maxPerSecond} req in a 1 s window (${m.maxAdmittedPerSecond} admitted; hidden limit ${hidden.rate}/s + burst ${hidden.burst})`,
		`GDPR p95 ${row.gdprP95} ms (p95 before its DELETE ${row.gdprSplit.beforeDelete} ms, Flashback ${row.gdprSplit.system} ms, after ${row.gdprSplit.after} ms), executions per worker ${row.perWorker.join('/')}, limitStore ${row.limitStores.join(',')}`,
		`duplicate calls ${m.duplicates.length}`,
	].join(' · ');
}

/** Every removal of the workload at the hidden rate, its burst sent at once. */
export function idealSeconds(workload: Workload, hidden: HiddenLimit): number {
	const removals = workload.batches * workload.batchSize + workload.gdprCount;
	return (removals - hidden.burst) / hidden.rate;
}

export interface QueueWorkloadOptions {
	runtime: Runtime;
	tarball: string;
	root: string;
	workers: number;
	hidden: HiddenLimit;
	limits: BatchLimits;
	/** Limits of a third batch workflow (`CAPPED_PATH`), e.g. with an explicit maximum rate. */
	cappedLimits?: BatchLimits;
	/** Environment of every n8n process. */
	env?: Record<string, string>;
}

/** A sandbox and a queue-mode cluster with the workload's workflows, and the calls to drive them. */
export class QueueWorkload {
	private nextPerson = 200_000;
	private readonly batchKey = randomBytes(16).toString('hex');
	private signingSecret = '';
	cluster!: QueueCluster;

	private constructor(
		readonly sandbox: Sandbox,
		readonly hidden: HiddenLimit,
	) {}

	static async start(options: QueueWorkloadOptions): Promise<QueueWorkload> {
		const sandbox = await startSandbox();
		const workload = new QueueWorkload(sandbox, options.hidden);
		try {
			sandbox.flashback.configure({
				rateLimit: { ...options.hidden, headers: 'retry-after-seconds' },
				latencyMs: { min: 20, max: 60 },
			});
			workload.signingSecret = newSigningSecret();
			workload.cluster = await QueueCluster.start({
				runtime: options.runtime,
				tarball: options.tarball,
				root: options.root,
				workers: options.workers,
				...(options.env ? { env: options.env } : {}),
				credentials: [
					...exampleCredentials(sandbox.baseUrls, workload.signingSecret),
					{
						id: 'queueBatchKey',
						name: 'Batch webhook key',
						type: 'httpHeaderAuth',
						data: { name: 'X-Batch-Key', value: workload.batchKey },
					},
				],
				workflows: [
					batchWorkflow('summary', options.limits),
					batchWorkflow('perResult', options.limits),
					gdprWorkflow(),
					...(options.cappedLimits ? [batchWorkflow('summary', options.cappedLimits, true)] : []),
				],
				webhooks: [BATCH_PATH, RESULTS_PATH, ...(options.cappedLimits ? [CAPPED_PATH] : [])],
			});
			return workload;
		} catch (error) {
			await sandbox.close();
			throw error;
		}
	}

	async close(options: { removeFiles?: boolean } = {}): Promise<void> {
		await this.cluster?.close(options);
		await this.sandbox.close();
	}

	newPeople(count: number): DemoPerson[] {
		const people = Array.from({ length: count }, () => demoPerson(this.nextPerson++));
		for (const person of people) this.sandbox.addPerson(person);
		return people;
	}

	async postBatch(
		users: DemoPerson[],
		signal?: AbortSignal,
		path = BATCH_PATH,
	): Promise<BatchCall> {
		const began = Date.now();
		try {
			const response = await fetch(`${this.cluster.baseUrl}/webhook/${path}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-batch-key': this.batchKey },
				body: JSON.stringify({ users: users.map((u) => ({ flashbackUserId: u.flashbackUserId })) }),
				signal,
			});
			const text = await response.text();
			const call: BatchCall = { users, status: response.status, text, ms: Date.now() - began };
			try {
				const body = response.ok ? (JSON.parse(text) as unknown) : undefined;
				if (Array.isArray(body)) call.outcomes = body as OutcomeItem[];
				else if (body) call.summary = body as BatchSummary;
			} catch {
				// not JSON
			}
			return call;
		} catch (error) {
			return { users, status: 0, text: String(error), ms: Date.now() - began };
		}
	}

	async postGdpr(person: DemoPerson): Promise<GdprCall> {
		const postedAt = Date.now();
		const request = signedPost(this.signingSecret, {
			requestId: `REQ-${person.flashbackUserId}`,
			email: person.email,
			ids: { flashbackUserId: person.flashbackUserId },
		});
		const response = await fetch(`${this.cluster.baseUrl}/webhook/${GDPR_PATH}`, request);
		const text = await response.text();
		const ms = Date.now() - postedAt;
		let receipt: GdprReceipt | undefined;
		try {
			receipt = JSON.parse(text) as GdprReceipt;
		} catch {
			// not JSON
		}
		return { person, status: response.status, postedAt, ms, receipt };
	}

	/** `count` one-person GDPR requests, one every `spacingMs`, each timed on its own. */
	async gdprRequests(count: number, spacingMs: number): Promise<GdprCall[]> {
		const people = this.newPeople(count);
		const calls: Array<Promise<GdprCall>> = [];
		for (const person of people) {
			calls.push(this.postGdpr(person));
			await delay(spacingMs);
		}
		return Promise.all(calls);
	}

	/** Flashback removal requests from index `since` of its log on (the emulator's ground truth). */
	removalsSince(since: number): RecordedRequest[] {
		return this.sandbox.flashback.requests
			.slice(since)
			.filter((r) => r.method === 'DELETE' && r.route === 'removeUser');
	}

	stillMembers(people: DemoPerson[]): DemoPerson[] {
		return people.filter((p) => this.sandbox.isDemoMember('flashback', p.flashbackUserId));
	}

	/** Execution ids the workers started, before a workload (to find the workload's own). */
	startedExecutions(): Set<string> {
		return new Set(this.cluster.executionsByWorker().keys());
	}

	/** Per worker, how many executions not in `before` it started. */
	executionsPerWorker(before: Set<string>): number[] {
		const counts = Array.from({ length: this.cluster.workerCount }, () => 0);
		for (const [id, worker] of this.cluster.executionsByWorker())
			if (!before.has(id)) counts[worker]++;
		return counts;
	}

	/** The batches at once and, `gdprAfterMs` in, the GDPR requests during them; everything answered. */
	async batchesWithGdpr(
		name: string,
		workload: Workload,
	): Promise<{ row: Row; batches: BatchCall[]; gdpr: GdprCall[]; people: DemoPerson[] }> {
		const before = this.startedExecutions();
		const since = this.sandbox.flashback.requests.length;
		const batchUsers = Array.from({ length: workload.batches }, () =>
			this.newPeople(workload.batchSize),
		);
		const began = Date.now();
		const batchCalls = batchUsers.map((users) =>
			this.postBatch(users, AbortSignal.timeout(300_000)),
		);
		await delay(workload.gdprAfterMs);
		const gdpr = await this.gdprRequests(workload.gdprCount, workload.gdprSpacingMs);
		const batches = await Promise.all(batchCalls);
		const elapsedMs = Date.now() - began;
		const people = [...batchUsers.flat(), ...gdpr.map((g) => g.person)];
		const row: Row = {
			name,
			elapsedMs,
			measure: measure(this.removalsSince(since)),
			gdprP95: p95(gdpr.map((g) => g.ms)),
			gdprSplit: gdprSplit(gdpr, this.removalsSince(since)),
			perWorker: this.executionsPerWorker(before),
			limitStores: batches.map((b) => storeKind(b.summary)),
		};
		return { row, batches, gdpr, people };
	}
}
