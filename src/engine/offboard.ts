/**
 * One offboarding batch, start to end: plan the rows (a counting pass first, so the deletion
 * threshold refuses before any call), then send the pairs through the engine — or, in a dry run,
 * report what would be sent — streaming exactly one outcome per (row, system, scope) pair.
 */
import { REDACTED } from '../secrets';
import type { SystemId } from '../systems/types';
import { Channel } from './channel';
import { realClock } from './clock';
import { type Pair, type PairOutcome, pairFields, type PlannedRequest } from './outcome';
import { type PlanConfig, Planner, planRows, type UserIdCount } from './plan';
import type { InputRow } from './rows';
import { ScopeEvidence } from './scopeEvidence';
import { type Run, runRemovals, type RunOptions, type SystemRunStats } from './run';
import { type ProgressListener, type RunProgress, RunRecorder, type RunTimeline } from './timeline';

export const DEFAULT_DELETION_THRESHOLD = 500;
const OUTPUT_HIGH_WATER = 64;

/** The run was refused before any request: a run-level error, not a per-row one. */
export class RunRefusedError extends Error {
	override readonly name: string = 'RunRefusedError';
}

/** Where a credential goes in a request, to show it as [redacted] in a dry run. */
export interface CredentialPlacement {
	header?: string;
	bodyField?: string;
}

/** A credential that expires and cannot be refreshed (a pasted JWT). */
export interface CredentialExpiry {
	/** Epoch ms. */
	at: number;
	/** What expires, e.g. "The pasted Mudbase JWT". */
	label: string;
	/** What to do instead, e.g. "Paste a fresh token or use log-in mode." */
	advice: string;
}

export interface OffboardOptions extends Omit<RunOptions, 'signal' | 'recorder'> {
	plan: PlanConfig;
	/** Refuse the run when a credential expires before its system's removals can be sent. */
	credentialExpiry?: Partial<Record<SystemId, CredentialExpiry>>;
	dryRun?: boolean;
	/** Refuse the run when more pairs than this would send a request (default 500). */
	deletionThreshold?: number;
	credentialPlacement?: Partial<Record<SystemId, CredentialPlacement>>;
	signal?: AbortSignal;
}

export interface Offboarding extends AsyncIterable<PairOutcome> {
	/** Pairs that send (or, in a dry run, would send) a request. */
	readonly toSend: number;
	/**
	 * Per system, the input rows by whether they had a user id (known before anything is sent):
	 * a wrong column mapping shows here as rows without an id.
	 */
	readonly userIds: Readonly<Partial<Record<SystemId, UserIdCount>>>;
	stats(): Readonly<Partial<Record<SystemId, SystemRunStats>>>;
	/** What the run recorded so far, per system and second (the report's timeline). */
	timeline(): RunTimeline;
	/** Each system now: done / total, outcomes, rate, concurrency, pause, circuit. */
	progress(): RunProgress;
	/**
	 * `listener` hears the progress every `everyMs` of the run's clock (default 5 s), at each pause
	 * or circuit start and once at the end (`done`, or `stopped` when cancelled or failed). Returns
	 * the unsubscribe function; nothing of it outlives the run.
	 */
	onProgress(listener: ProgressListener, everyMs?: number): () => void;
}

/** A run that cannot start as configured: refused before the input is read. */
function checkConfiguration(options: OffboardOptions): void {
	if (options.plan.systems.length === 0) throw new RunRefusedError('Choose at least one system');
	for (const plan of options.plan.systems) {
		if (!options.dryRun && !options.systems[plan.system.id])
			throw new RunRefusedError(`${plan.system.displayName} has no credential or settings`);
		for (const field of plan.system.scopeFields) {
			const source = plan.scopes[field.key];
			if (!source || ('fixed' in source && source.fixed.length === 0))
				throw new RunRefusedError(`Enter the ${plan.system.displayName} ${field.label}`);
		}
	}
}

/**
 * A credential that expires before its system's removals can be sent at the starting rate refuses
 * the run (the rate may grow by discovery; the starting rate is the pace the run can count on).
 */
function checkExpiries(options: OffboardOptions, toSendBySystem: ReadonlyMap<SystemId, number>) {
	const now = (options.clock ?? realClock).now();
	for (const [system, expiry] of Object.entries(options.credentialExpiry ?? {}) as Array<
		[SystemId, CredentialExpiry]
	>) {
		const count = toSendBySystem.get(system) ?? 0;
		if (expiry.at <= now)
			throw new RunRefusedError(
				`${expiry.label} expired at ${new Date(expiry.at).toISOString()}: nothing was sent. ${expiry.advice}`,
			);
		const rate = Math.max(options.systems[system]?.limits.ratePerSecond ?? 1, 0.1);
		const needed = now + (count / rate) * 1000;
		if (count > 0 && expiry.at <= needed)
			throw new RunRefusedError(
				`${expiry.label} expires at ${new Date(expiry.at).toISOString()}, before this run can finish (about ${Math.ceil((needed - now) / 1000)} s for ${count} removals at the starting rate of ${rate}/s): nothing was sent. ${expiry.advice}`,
			);
	}
}

/**
 * `rows` is called once for the counting pass and once for the batch, so a CSV is streamed twice
 * rather than held in memory.
 */
export async function offboard(
	rows: () => AsyncIterable<InputRow> | Iterable<InputRow>,
	options: OffboardOptions,
): Promise<Offboarding> {
	checkConfiguration(options);
	const threshold = options.deletionThreshold ?? DEFAULT_DELETION_THRESHOLD;
	let toSend = 0;
	const toSendBySystem = new Map<SystemId, number>();
	// The plan yields a row's pairs together: people are counted without holding their rows.
	let people = 0;
	let lastRow: number | undefined;
	const counting = new Planner(options.plan);
	for await (const row of rows()) {
		if (options.signal?.aborted) throw options.signal.reason;
		for (const step of counting.steps(row)) {
			if (step.kind !== 'send') continue;
			toSend++;
			toSendBySystem.set(step.pair.system, (toSendBySystem.get(step.pair.system) ?? 0) + 1);
			if (step.pair.row !== lastRow) people++;
			lastRow = step.pair.row;
		}
	}
	const userIds = counting.userIds();
	if (toSend > threshold) {
		throw new RunRefusedError(
			`This run would send ${toSend} removals (${people} ${people === 1 ? 'person' : 'people'}, one removal per person, system and scope), above the deletion threshold of ${threshold}: nothing was sent. Check the input, then raise the threshold or split the batch.`,
		);
	}
	if (!options.dryRun) checkExpiries(options, toSendBySystem);

	const recorder = new RunRecorder(
		options.clock ?? realClock,
		options.plan.systems.map((plan) => ({
			system: plan.system.id,
			name: plan.system.displayName,
			total: toSendBySystem.get(plan.system.id) ?? 0,
		})),
	);

	// Bounded: a slow consumer (a report written to disk) holds the plan back instead of buffering it.
	const out = new Channel<PairOutcome>(OUTPUT_HIGH_WATER);
	let run: Run | undefined;

	const definitions = new Map(options.plan.systems.map((plan) => [plan.system.id, plan.system]));
	async function dryRun(): Promise<void> {
		for await (const step of planRows(rows(), options.plan)) {
			await out.roomFor();
			if (step.kind === 'done') {
				out.push(step.outcome);
				continue;
			}
			const request = preview(step.request, options.credentialPlacement?.[step.pair.system]);
			const system = definitions.get(step.pair.system);
			// A lookup system's first request is a read; the change follows for the user it finds.
			const then = system?.lookup
				? `, then ${system.method} ${system.path.replace('{userId}', '{the id it finds}')}`
				: '';
			recorder.outcome(step.pair.system, 'would_remove');
			out.push({
				...pairFields(step.pair),
				status: 'would_remove',
				kind: 'dry_run',
				attempts: 0,
				durationMs: 0,
				reason: `would send ${request.method} ${request.url}${then}`,
				request,
			});
		}
	}

	async function realRun(): Promise<void> {
		// The run pulls pairs as it has room; outcomes decided by the plan go straight out.
		async function* pairs(): AsyncGenerator<Pair> {
			for await (const step of planRows(rows(), options.plan)) {
				await out.roomFor();
				if (step.kind === 'done') out.push(step.outcome);
				else yield step.pair;
			}
		}
		run = runRemovals(pairs(), { ...options, recorder });
		const sent = (outcome: PairOutcome): void => {
			recorder.outcome(outcome.system, outcome.status);
			out.push(outcome);
		};
		const evidence = new ScopeEvidence(
			options.limiters.store,
			Object.fromEntries(
				Object.entries(options.systems).map(([id, runtime]) => [
					id,
					{ system: runtime.system, credentialKey: runtime.credentialKey },
				]),
			),
		);
		for await (const outcome of run) {
			for (const ready of await evidence.see(outcome)) sent(ready);
			await out.roomFor();
		}
		for (const held of await evidence.finish()) {
			await out.roomFor();
			sent(held);
		}
	}

	let started = false;
	return {
		toSend,
		userIds,
		stats: () => run?.stats() ?? {},
		timeline: () => recorder.timeline(),
		progress: () => recorder.progress(),
		onProgress: (listener, everyMs) => recorder.onProgress(listener, everyMs),
		[Symbol.asyncIterator]() {
			if (!started) {
				started = true;
				(options.dryRun ? dryRun() : realRun()).then(
					() => {
						recorder.end('done');
						out.close();
					},
					(error: unknown) => {
						recorder.end('stopped');
						out.fail(error);
					},
				);
			}
			return out[Symbol.asyncIterator]();
		},
	};
}

function preview(
	request: {
		method: string;
		url: string;
		headers: Record<string, string>;
		body?: Record<string, unknown>;
	},
	placement: CredentialPlacement | undefined,
): PlannedRequest {
	const headers = { ...request.headers };
	if (placement?.header) headers[placement.header] = REDACTED;
	const body = request.body || placement?.bodyField ? { ...request.body } : undefined;
	if (body && placement?.bodyField) body[placement.bodyField] = REDACTED;
	return { method: request.method, url: request.url, headers, ...(body ? { body } : {}) };
}
