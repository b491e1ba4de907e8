/**
 * Real n8n queue mode (issue 15 item 4): one `n8n start` main and two `n8n worker` processes on one
 * Redis and one PostgreSQL, the packed package installed into each (e2e/queue.ts). Flashback gets a
 * hidden rate limit answered with 429 + Retry-After; its request log is the ground truth. The
 * workload and its measurements are e2e/queueWorkload.ts (the benchmark's queue-mode section runs
 * the same at 1, 2 and 4 workers and the issue's sizes).
 *
 * Workload (scaled down from the issue's 4 × 500 so the file stays near 5 minutes on 2 cores): four
 * webhook-triggered batches of BATCH_SIZE users at once (Webhook → Split Out → Offboard Users,
 * Flashback only, summary → Respond to Webhook), plus GDPR_COUNT one-person signed GDPR requests
 * (the GDPR example limited to Flashback) sent one every GDPR_SPACING_MS during them.
 *
 * Rows: the shared store (queue mode's Redis LimitStore, n8n's own Redis), a worker SIGKILLed
 * mid-batch, Redis stopped mid-run and started again, and the control (OFFBOARDING_LIMIT_STORE=
 * memory: each worker its own limits), which must overshoot more and hold the GDPR requests longer.
 *
 * Time on this 2-core machine: 3 m 10 s – 3 m 50 s for the file (cluster start 45–73 s: Postgres, three
 * package installs, import, two publishes, main + 2 workers; each row 25–100 s; worker restarts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
	type BatchCall,
	counts,
	describeRow,
	gdprSplit,
	measure,
	notRemovedExactlyOnce,
	QueueWorkload,
	RESULTS_PATH,
	type Row,
	storeKind,
	userOf,
	p95,
} from '../../e2e/queueWorkload';
import { ensureRuntime, packPackage, REPO_ROOT } from '../../e2e/runtime';
import type { DemoPerson } from '../../sandbox';
import { counted, recordReliability } from '../support/reliability';

jest.setTimeout(300_000);

/** The hidden limit: 30 req/s, bursts of 5, 429 with Retry-After in seconds. */
const HIDDEN = { rate: 30, burst: 5 };
const BATCHES = 4;
const BATCH_SIZE = 150;
const GDPR_COUNT = 20;
const GDPR_SPACING_MS = 500;
const WORKLOAD = {
	batches: BATCHES,
	batchSize: BATCH_SIZE,
	gdprCount: GDPR_COUNT,
	gdprSpacingMs: GDPR_SPACING_MS,
	gdprAfterMs: 2_000,
};

let work: QueueWorkload;
const startup: Record<string, number> = {};

beforeAll(async () => {
	const began = Date.now();
	const runtime = ensureRuntime();
	const tarball =
		process.env.E2E_PACKAGE_TARBALL ??
		packPackage(join(REPO_ROOT, 'test-artifacts', 'e2e-package'));
	work = await QueueWorkload.start({
		runtime,
		tarball,
		root: mkdtempSync(join(tmpdir(), 'offboarding-queue-')),
		workers: 2,
		hidden: HIDDEN,
		// The issue's measured setting: start at 100 req/s, at most 8 in flight. Each worker alone
		// then overshoots until it has learned the limit; shared, they learn it once.
		limits: { ratePerSecond: 100, maxConcurrency: 8 },
	});
	startup.clusterSeconds = (Date.now() - began) / 1000;
	console.log(`queue cluster ready in ${startup.clusterSeconds.toFixed(1)} s`, work.cluster.pids());
}, 600_000);

afterAll(async () => {
	await work?.close({ removeFiles: true });
});

async function batchesWithGdpr(name: string) {
	const result = await work.batchesWithGdpr(name, WORKLOAD);
	console.log(describeRow(result.row, WORKLOAD, HIDDEN));
	return result;
}

let alone = { p95: NaN, ms: [] as number[] };
let shared: Row | undefined;

describe('n8n queue mode: main + 2 workers, one Redis, one Postgres', () => {
	it('runs the one-person GDPR requests alone (the latency baseline), on both workers', async () => {
		// Warm-up (not measured): each worker's first executions load the nodes and open connections.
		const warmUp = await work.gdprRequests(4, GDPR_SPACING_MS);
		expect(warmUp.map((c) => c.status)).toEqual([200, 200, 200, 200]);
		const before = work.startedExecutions();
		const since = work.sandbox.flashback.requests.length;
		const calls = await work.gdprRequests(GDPR_COUNT, GDPR_SPACING_MS);
		alone = { p95: p95(calls.map((c) => c.ms)), ms: calls.map((c) => c.ms) };
		const split = gdprSplit(calls, work.removalsSince(since));
		console.log(
			`GDPR alone: p95 ${alone.p95} ms (p95 before its DELETE ${split.beforeDelete} ms, Flashback ${split.system} ms, after ${split.after} ms): ${alone.ms.join(', ')}`,
		);
		expect(calls.map((c) => [c.status, c.receipt?.complete])).toEqual(calls.map(() => [200, true]));
		expect(calls.map((c) => c.receipt?.systems.map((s) => s.status))).toEqual(
			calls.map(() => ['access removed']),
		);
		expect(work.stillMembers(calls.map((c) => c.person))).toEqual([]);
		// Idle workers take turns (Bull serves the worker that asked first): both ran some.
		const perWorker = work.executionsPerWorker(before);
		expect([perWorker.reduce((a, b) => a + b, 0), perWorker.every((n) => n > 0)]).toEqual([
			GDPR_COUNT,
			true,
		]);
	});

	it('shared store: four batches and GDPR requests on both workers stay within the hidden limit', async () => {
		const { row, batches, gdpr, people } = await batchesWithGdpr('shared store (Redis)');
		shared = row;
		// Which worker ran each batch: Postgres's execution rows of the batch workflow, by worker log.
		const batchExecutions = await work.cluster.sql(
			`select id from execution_entity where "workflowId" = 'queueBatch' order by id`,
		);
		const byWorker = work.cluster.executionsByWorker();
		console.log(
			'batch executions → worker:',
			batchExecutions.map(([id]) => `${id}→w${byWorker.get(id)}`).join(' '),
		);
		expect(batches.map((b) => [b.status, counts(b.summary?.totals.flashback)])).toEqual(
			batches.map(() => [200, { removed: BATCH_SIZE }]),
		);
		expect(gdpr.map((g) => [g.status, g.receipt?.complete])).toEqual(gdpr.map(() => [200, true]));
		// Ground truth: everyone removed by exactly one acting DELETE, nobody left, no duplicate call.
		expect(notRemovedExactlyOnce(people, row.measure.acted)).toEqual([]);
		expect(work.stillMembers(people)).toEqual([]);
		expect(row.measure.duplicates).toEqual([]);
		// Both workers ran some of the workload.
		expect(row.perWorker.every((n) => n > 0)).toBe(true);
		expect(row.perWorker.reduce((a, b) => a + b, 0)).toBe(BATCHES + GDPR_COUNT);
		// The issue's bars for the shared store.
		// The issue's bars for the shared store, in one assertion so a failure shows all three.
		expect({
			limitStores: row.limitStores,
			share429Below2Percent: row.measure.share429 < 0.02,
		}).toEqual({
			limitStores: batches.map(() => 'redis'),
			share429Below2Percent: true,
		});
		// The issue's GDPR bar (p95 within 2 × alone) is the benchmark's (docs/BENCHMARKS.md, queue
		// mode), reported there met or missed with where the time went; this row logs it.
	});

	it('a worker SIGKILLed mid-batch: the other goes on, the re-run completes, nobody removed twice', async () => {
		const before = work.startedExecutions();
		const since = work.sandbox.flashback.requests.length;
		const batchUsers = Array.from({ length: BATCHES }, () => work.newPeople(BATCH_SIZE));
		const total = BATCHES * BATCH_SIZE;
		const aborts = batchUsers.map(() => new AbortController());
		const began = Date.now();
		const calls = batchUsers.map((users, i) => work.postBatch(users, aborts[i].signal));
		// Mid-batch: both workers have started a batch and a fifth of the removals are done.
		const batchIdsOn = async (worker: number): Promise<string[]> => {
			const ids = new Set(
				(
					await work.cluster.sql(
						`select id from execution_entity where "workflowId" = 'queueBatch'`,
					)
				).map(([id]) => id),
			);
			return [...work.cluster.executionsByWorker()]
				.filter(([id, w]) => w === worker && ids.has(id) && !before.has(id))
				.map(([id]) => id);
		};
		const acted = () => work.removalsSince(since).filter((r) => r.acted).length;
		const deadline = Date.now() + 60_000;
		while (Date.now() < deadline && acted() < total / 5) await delay(100);
		const onWorker = [await batchIdsOn(0), await batchIdsOn(1)];
		// The victim: worker 0 if it runs a batch, else worker 1.
		const victim = onWorker[0].length > 0 ? 0 : 1;
		const survivor = 1 - victim;
		// Both workers run batches (Bull hands the four jobs out as workers ask; 2/2 in every run so far).
		expect(onWorker.map((ids) => ids.length > 0)).toEqual([true, true]);
		await work.cluster.killWorker(victim, 'SIGKILL');
		const killedAt = Date.now();
		await delay(300); // answers in flight land
		const actedAtKill = acted();
		console.log(
			`worker ${victim} SIGKILLed ${((killedAt - began) / 1000).toFixed(1)} s in, running batch executions ${onWorker[victim].join(',')}; survivor ran ${onWorker[survivor].join(',') || 'none'}; ${actedAtKill} of ${total} removed`,
		);
		expect(actedAtKill).toBeLessThan(total); // really mid-batch

		// The survivor's batches answer; the killed ones never will (n8n fails a stalled job only
		// after its lock expires): once the survivor's are in and the emulator is quiet, stop waiting.
		const settled: Array<BatchCall | undefined> = calls.map(() => undefined);
		calls.forEach((call, i) => void call.then((result) => (settled[i] = result)));
		const expectedAnswers = BATCHES - onWorker[victim].length;
		const waitUntil = Date.now() + 180_000;
		let lastCount = -1;
		let quietSince = Date.now();
		while (Date.now() < waitUntil) {
			const count = work.removalsSince(since).length;
			if (count !== lastCount) [lastCount, quietSince] = [count, Date.now()];
			const answered = settled.filter((c) => c?.status === 200).length;
			if (answered >= expectedAnswers && Date.now() - quietSince > 3000) break;
			await delay(200);
		}
		const survivorDoneMs = Date.now() - killedAt;
		aborts.forEach((a) => a.abort());
		const first = await Promise.all(calls);
		// Back to two workers before anything is asserted: the next rows need both.
		await work.cluster.startWorker(victim);
		const killedRows = await work.cluster.sql(
			`select id, status from execution_entity where id in (${onWorker[victim].map((id) => `'${id}'`).join(',')}) order by id`,
		);
		console.log(
			`killed worker's executions in Postgres: ${killedRows.map((r) => r.join(' ')).join(', ')}`,
		);
		const done = first.filter((c) => c.status === 200);
		const unfinished = first.filter((c) => c.status !== 200);
		console.log(
			`after the kill: ${done.length} batches answered 200 (survivor) within ${(survivorDoneMs / 1000).toFixed(1)} s, ${unfinished.length} unanswered: ${unfinished.map((c) => `${c.status} ${c.text.slice(0, 80)}`).join(' | ')}`,
		);
		// The survivor went on: its batches completed, each user once.
		expect(done.length).toBe(expectedAnswers);
		expect(done.map((c) => counts(c.summary?.totals.flashback))).toEqual(
			done.map(() => ({ removed: BATCH_SIZE })),
		);
		const beforeRerun = measure(work.removalsSince(since));
		expect(beforeRerun.duplicates).toEqual([]);

		// Re-run the unfinished batches (the same users) on the restarted work.cluster.
		const rerunSince = work.sandbox.flashback.requests.length;
		const removedBefore = (users: DemoPerson[]) =>
			users.filter((u) => (beforeRerun.acted.get(u.flashbackUserId) ?? 0) > 0).length;
		const reruns = await Promise.all(unfinished.map((c) => work.postBatch(c.users)));
		const rerun = measure(work.removalsSince(rerunSince));
		const all = measure(work.removalsSince(since));
		const everyone = batchUsers.flat();
		const maxActed = Math.max(...everyone.map((u) => all.acted.get(u.flashbackUserId) ?? 0));
		const left = work.stillMembers(everyone);
		const rerunUsers = unfinished.flatMap((c) => c.users);
		/** Answered (not 429) DELETEs per re-run user during the re-run: exactly one each. */
		const answeredInRerun = new Map<string, number>();
		for (const r of work.removalsSince(rerunSince))
			if (!r.rateLimited) answeredInRerun.set(userOf(r), (answeredInRerun.get(userOf(r)) ?? 0) + 1);
		const expectedTotals = unfinished.map((c) => {
			const gone = removedBefore(c.users);
			return gone === 0
				? { removed: BATCH_SIZE }
				: gone === BATCH_SIZE
					? { not_found: BATCH_SIZE }
					: { removed: BATCH_SIZE - gone, not_found: gone };
		});
		recordReliability({
			table: 'Queue mode',
			case: `main + 2 workers, ${BATCHES} × ${BATCH_SIZE} users (Flashback, hidden ${HIDDEN.rate}/s): worker ${victim} SIGKILLed with ${onWorker[victim].length} batch(es) after ${actedAtKill} of ${total} removals, then the unfinished batches re-run`,
			expected: `survivor's ${expectedAnswers} batch(es) removed ${BATCH_SIZE} each · re-run: removed + not_found = ${BATCH_SIZE} per batch, not_found = removed before · ≤ 1 acting DELETE per user · nobody left`,
			observed: `survivor: ${done.map((c) => JSON.stringify(counts(c.summary?.totals.flashback))).join(', ')} in ${(survivorDoneMs / 1000).toFixed(1)} s after the kill · re-run: ${reruns.map((c) => `${c.status} ${JSON.stringify(counts(c.summary?.totals.flashback))}`).join(', ')} · max acting DELETEs per user ${maxActed} · ${left.length} left · re-run 429s ${rerun.rateLimited}/${rerun.requests}`,
		});
		console.log(
			`re-run: ${reruns.map((c) => `${c.status} ${JSON.stringify(counts(c.summary?.totals.flashback))} in ${(c.ms / 1000).toFixed(1)} s`).join(', ')}`,
		);
		expect(reruns.map((c) => [c.status, counts(c.summary?.totals.flashback)])).toEqual(
			expectedTotals.map((t) => [200, t]),
		);
		expect(notRemovedExactlyOnce(everyone, all.acted)).toEqual([]);
		expect(left).toEqual([]);
		expect(rerunUsers.filter((u) => answeredInRerun.get(u.flashbackUserId) !== 1)).toEqual([]);
		// Leases that expire are the shared store's: these runs must have used it.
		expect([...done, ...reruns].map((c) => storeKind(c.summary))).toEqual(
			[...done, ...reruns].map(() => 'redis'),
		);
	});

	it('Redis stopped mid-run and started again: every pair completes or fails with a reason, nothing removed twice, nothing reported that was not done', async () => {
		const since = work.sandbox.flashback.requests.length;
		const batchUsers = Array.from({ length: BATCHES }, () => work.newPeople(BATCH_SIZE));
		const total = BATCHES * BATCH_SIZE;
		const began = Date.now();
		const calls = batchUsers.map((users) =>
			work.postBatch(users, AbortSignal.timeout(200_000), RESULTS_PATH),
		);
		const acted = () => work.removalsSince(since).filter((r) => r.acted).length;
		const deadline = Date.now() + 60_000;
		while (Date.now() < deadline && acted() < total / 5) await delay(100);
		await work.cluster.stopRedis();
		const stoppedAt = Date.now();
		const actedAtStop = acted();
		await delay(5000);
		const actedWhileDown = acted() - actedAtStop;
		await work.cluster.startRedis();
		console.log(
			`Redis stopped ${((stoppedAt - began) / 1000).toFixed(1)} s in after ${actedAtStop} of ${total} removals, for ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s; ${actedWhileDown} removals while it was down`,
		);
		const results = await Promise.all(calls);
		const run = measure(work.removalsSince(since));
		const pids = work.cluster.pids();
		const failedExecutions = await work.cluster.sql(
			`select id, status from execution_entity where "workflowId" = 'queueBatchResults' and status <> 'success' order by id`,
		);
		console.log(
			`n8n processes after the restart: ${JSON.stringify(pids)}; executions not successful: ${failedExecutions.map((r) => r.join(' ')).join(', ') || 'none'}`,
		);
		// Per user, what the batch reported against the emulator's ground truth.
		const wrong: string[] = [];
		const reasons = new Map<string, number>();
		for (const [i, c] of results.entries()) {
			const statuses = new Map<string, number>();
			for (const o of c.outcomes ?? []) statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
			console.log(
				`batch ${i}: HTTP ${c.status} in ${(c.ms / 1000).toFixed(1)} s: ${c.outcomes ? JSON.stringify(Object.fromEntries(statuses)) : c.text.slice(0, 300)}`,
			);
			if (c.status !== 200) continue;
			const byUser = new Map((c.outcomes ?? []).map((o) => [o.userId, o]));
			if (byUser.size !== BATCH_SIZE || (c.outcomes ?? []).length !== BATCH_SIZE)
				wrong.push(`batch ${i}: ${(c.outcomes ?? []).length} outcomes for ${BATCH_SIZE} users`);
			for (const user of c.users) {
				const o = byUser.get(user.flashbackUserId);
				const actedCount = run.acted.get(user.flashbackUserId) ?? 0;
				if (o?.status === 'removed' && actedCount !== 1)
					wrong.push(`${user.flashbackUserId}: reported removed, ${actedCount} acting DELETEs`);
				else if (o?.status === 'failed') {
					reasons.set(o.reason, (reasons.get(o.reason) ?? 0) + 1);
					if (o.reason.trim() === '')
						wrong.push(`${user.flashbackUserId}: failed without a reason`);
					if (!o.uncertain && actedCount !== 0)
						wrong.push(`${user.flashbackUserId}: reported failed (not uncertain) but removed`);
				} else if (o?.status !== 'removed')
					wrong.push(`${user.flashbackUserId}: ${o?.status ?? 'no outcome'}`);
			}
		}
		for (const [reason, n] of reasons) console.log(`failed × ${n}: ${reason}`);
		console.log(
			`Redis-down run: requests ${run.requests}, 429 ${run.rateLimited} (${(run.share429 * 100).toFixed(2)} %), max ${run.maxPerSecond} req/1 s window (${run.maxAdmittedPerSecond} admitted), duplicates ${run.duplicates.length}`,
		);
		// Then every batch again with Redis back (a report fed back would do the same): the users
		// removed come back not_found, the rest are removed now; everyone gone, each by one DELETE.
		const incomplete = results.filter(
			(c) => c.status !== 200 || (c.outcomes ?? []).some((o) => o.status !== 'removed'),
		);
		const reruns = await Promise.all(
			incomplete.map((c) => work.postBatch(c.users, AbortSignal.timeout(200_000), RESULTS_PATH)),
		);
		const all = measure(work.removalsSince(since));
		const everyone = batchUsers.flat();
		const left = work.stillMembers(everyone);
		recordReliability({
			table: 'Queue mode',
			case: `main + 2 workers, ${BATCHES} × ${BATCH_SIZE} users (Flashback, hidden ${HIDDEN.rate}/s): Redis stopped after ${actedAtStop} of ${total} removals and started again 5 s later, then the incomplete batches re-run`,
			expected:
				'per user: removed ⇒ exactly one acting DELETE; failed ⇒ a reason, and not removed unless marked uncertain (or the whole execution failed, its status in Postgres) · 429s < 2 % · 0 duplicate calls · after the re-run nobody left, 1 acting DELETE per user',
			observed: `${results.map((c) => `HTTP ${c.status}${c.outcomes ? ` ${counted(c.outcomes.map((o) => o.status))}` : ''}`).join('; ')} · ${wrong.length} mismatches with ground truth · 429s ${(run.share429 * 100).toFixed(1)} % · duplicates ${run.duplicates.length} · re-run ${reruns.map((c) => c.status).join('/') || 'none'} · ${left.length} left`,
		});
		expect(
			Object.values(pids)
				.flat()
				.every((pid) => pid > 0),
		).toBe(true);
		expect(wrong).toEqual([]);
		// An execution that failed as a whole answered 500 and is recorded as such in Postgres.
		expect(results.filter((c) => c.status !== 200).map((c) => c.status)).toEqual(
			failedExecutions.map(() => 500),
		);
		// No DELETE after the one that removed a user, until the re-run (which asks again on purpose).
		expect(run.duplicates).toEqual([]);
		expect(reruns.map((c) => c.status)).toEqual(reruns.map(() => 200));
		expect(notRemovedExactlyOnce(everyone, all.acted)).toEqual([]);
		expect(left).toEqual([]);
		// Within the limit while Redis was away and back.
		expect(run.share429).toBeLessThan(0.02);
	});

	it('control (OFFBOARDING_LIMIT_STORE=memory): the same workload overshoots the hidden limit', async () => {
		// The last row: the workers stay on the memory store until afterAll stops them.
		await work.cluster.restartWorkers({ OFFBOARDING_LIMIT_STORE: 'memory' });
		{
			const { row, batches, people } = await batchesWithGdpr('control (memory per worker)');
			expect(batches.map((b) => [b.status, counts(b.summary?.totals.flashback)])).toEqual(
				batches.map(() => [200, { removed: BATCH_SIZE }]),
			);
			expect(notRemovedExactlyOnce(people, row.measure.acted)).toEqual([]);
			expect(row.measure.duplicates).toEqual([]);
			// The point of the row: without the shared store the workers overshoot more.
			expect(shared).toBeDefined();
			expect({
				limitStores: row.limitStores,
				more429sThanShared: row.measure.share429 > (shared?.measure.share429 ?? Infinity),
			}).toEqual({ limitStores: batches.map(() => 'memory'), more429sThanShared: true });
		}
	});
});
