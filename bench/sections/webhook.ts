/**
 * Sections 4 and 7, in one `n8n start` server: the GDPR erasure webhook's latency (one subject, five
 * systems, emulator latency 50–150 ms) against the slowest single call it made; then fairness — the
 * same webhook while a 2,000-row nightly run is draining the same rate-limited system, against alone.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type DemoPerson, demoPerson, leaversCsv, type Sandbox } from '../../sandbox';
import type { SeedSystemId } from '../../src/systems';
import { userOf } from '../lib/groundTruth';
import { signedPost } from '../../e2e/examples';
import { type BenchN8n, WEBHOOK_HEADER_NAME } from '../lib/n8nHarness';
import {
	type BenchContext,
	fixed,
	percentile,
	type Section,
	type SectionResult,
	table,
} from '../lib/report';
import { GDPR_WEBHOOK_PATH, NIGHTLY_WEBHOOK_PATH, webhooksWorkflow } from '../lib/workflows';

const WORKFLOW_ID = 'bench-webhooks';
const CSV_NAME = 'fairness-leavers.csv';
const ALL: SeedSystemId[] = ['productAccess', 'productBridge', 'ejento', 'flashback', 'mudbase'];
const ID_FIELDS: Record<SeedSystemId, keyof DemoPerson> = {
	productAccess: 'productAccessUser',
	productBridge: 'productBridgeUserId',
	ejento: 'ejentoUserId',
	flashback: 'flashbackUserId',
	mudbase: 'mudbaseUserId',
};

interface Receipt {
	ms: number;
	status: number;
	complete: boolean;
}

async function erasureRequest(
	n8n: BenchN8n,
	person: DemoPerson,
	requestId: string,
): Promise<Receipt> {
	const { email, ...ids } = person;
	const started = performance.now();
	const response = await fetch(
		`${n8n.instance.baseUrl}/webhook/${GDPR_WEBHOOK_PATH}`,
		signedPost(n8n.signingSecret, { requestId, email, ids }),
	);
	const body = (await response.json()) as { complete?: boolean };
	return {
		ms: performance.now() - started,
		status: response.status,
		complete: body.complete === true,
	};
}

/** The longest any one system took to answer this person's removal (the emulator's own clock). */
function slowestCall(sandbox: Sandbox, person: DemoPerson): number {
	let slowest = 0;
	for (const system of ALL) {
		const id = person[ID_FIELDS[system]];
		for (const request of sandbox[system].removalRequests())
			if (userOf(request) === id && request.answeredAt !== undefined)
				slowest = Math.max(slowest, request.answeredAt - request.at);
	}
	return slowest;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const webhookSection: Section = {
	id: 'webhook',
	title: 'GDPR webhook: latency, and fairness beside a nightly run',
	async workflows(ctx) {
		return [
			webhooksWorkflow({
				id: WORKFLOW_ID,
				csvPath: join(ctx.filesDir, CSV_NAME),
				nightlySystems: ['flashback'],
				deletionThreshold: ctx.sizes.fairness.nightlyUsers,
			}),
		];
	},
	async run(ctx: BenchContext): Promise<SectionResult> {
		const { latency, fairness, hiddenRate, burst } = ctx.sizes;
		// Its own copy of the folder, stopped without waiting for the nightly run to finish.
		const n8n = ctx.n8n.clone(join(ctx.workDir, 'n8n-webhook'), {
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '1',
		});
		await n8n.instance.publish(WORKFLOW_ID);
		const nightly = Array.from({ length: fairness.nightlyUsers }, (_, i) => demoPerson(i + 1));
		writeFileSync(join(ctx.filesDir, CSV_NAME), leaversCsv(nightly));
		const sandbox = await n8n.startSandbox();
		try {
			const subjects = Array.from({ length: latency.requests + 2 + 2 * fairness.probes }, (_, i) =>
				demoPerson(900_000 + i),
			);
			for (const person of [...subjects, ...nightly]) sandbox.addPerson(person);
			for (const system of ALL)
				sandbox[system].configure({ latencyMs: { min: latency.minMs, max: latency.maxMs } });
			ctx.log('webhook: starting n8n');
			await n8n.instance.start({ webhooks: [GDPR_WEBHOOK_PATH, NIGHTLY_WEBHOOK_PATH] });

			// 7. Latency: two warm-up requests (n8n compiles and caches on first use), then one at a time.
			let next = 0;
			for (let i = 0; i < 2; i++) await erasureRequest(n8n, subjects[next++], `warm-${i}`);
			const timed: Array<Receipt & { slowestMs: number }> = [];
			for (let i = 0; i < latency.requests; i++) {
				const person = subjects[next++];
				const receipt = await erasureRequest(n8n, person, `lat-${i}`);
				timed.push({ ...receipt, slowestMs: slowestCall(sandbox, person) });
			}
			ctx.log(`webhook: ${timed.length} latency requests done`);

			// 4. Fairness: no emulator latency; Flashback behind its hidden limit.
			for (const system of ALL) sandbox[system].configure({ latencyMs: { min: 0, max: 0 } });
			sandbox.flashback.configure({
				rateLimit: { rate: hiddenRate, burst, headers: 'retry-after-seconds' },
			});
			const alone: Receipt[] = [];
			for (let i = 0; i < fairness.probes; i++) {
				alone.push(await erasureRequest(n8n, subjects[next++], `alone-${i}`));
				await sleep(fairness.probeGapMs);
			}
			const trigger = await fetch(`${n8n.instance.baseUrl}/webhook/${NIGHTLY_WEBHOOK_PATH}`, {
				method: 'POST',
				headers: { [WEBHOOK_HEADER_NAME]: n8n.webhookSecret },
			});
			await trigger.arrayBuffer();
			if (!trigger.ok) throw new Error(`nightly trigger answered ${trigger.status}`);
			await sleep(fairness.warmupMs);
			const before = sandbox.flashback.removalRequests().length;
			const leftAtFirstProbe = nightly.filter((p) =>
				sandbox.isDemoMember('flashback', p.flashbackUserId),
			).length;
			const sharedStarted = Date.now();
			const shared: Receipt[] = [];
			for (let i = 0; i < fairness.probes; i++) {
				shared.push(await erasureRequest(n8n, subjects[next++], `shared-${i}`));
				await sleep(fairness.probeGapMs);
			}
			const nightlyRequests = sandbox.flashback.removalRequests().slice(before);
			const nightlyRate =
				(nightlyRequests.filter((r) => !r.rateLimited).length * 1000) /
				(Date.now() - sharedStarted);
			const nightlyRemoved = nightly.filter(
				(p) => !sandbox.isDemoMember('flashback', p.flashbackUserId),
			).length;
			await n8n.instance.stop();

			const ms = (values: number[], p: number) => fixed(percentile(values, p), 0);
			const rtts = timed.map((t) => t.ms);
			const slowest = timed.map((t) => t.slowestMs);
			const extra = timed.map((t) => t.ms - t.slowestMs);
			const aloneMs = alone.map((r) => r.ms);
			const sharedMs = shared.map((r) => r.ms);
			const incomplete = [...timed, ...alone, ...shared].filter(
				(r) => r.status !== 200 || !r.complete,
			).length;
			const fairnessRatio = percentile(sharedMs, 50) / percentile(aloneMs, 50);
			const markdown = [
				`### GDPR webhook latency`,
				'',
				`One \`n8n start\` server (its own process), the GDPR erasure workflow (Webhook → Verify Webhook Signature → Set → Offboard Users, receipt mode → Respond to Webhook): one subject per request, five systems, every emulator answering after a uniform ${latency.minMs}–${latency.maxMs} ms. ${latency.requests} requests one after another (after 2 warm-up requests). "Slowest call" is, per request, the longest of its five removal calls as the emulators timed them; the engine sends the five in parallel, so the receipt cannot come sooner.`,
				'',
				table(
					['', 'p50 (ms)', 'p95 (ms)', 'max (ms)'],
					[
						['receipt round trip (client)', ms(rtts, 50), ms(rtts, 95), ms(rtts, 100)],
						[
							'slowest single call of that request',
							ms(slowest, 50),
							ms(slowest, 95),
							ms(slowest, 100),
						],
						['difference: n8n + webhook + engine', ms(extra, 50), ms(extra, 95), ms(extra, 100)],
					],
				),
				'',
				`### Fairness: a one-subject webhook while a ${fairness.nightlyUsers}-row nightly run drains the same system`,
				'',
				`Same server, no emulator latency, Flashback behind its hidden ${hiddenRate} req/s (burst ${burst}, Retry-After). ${fairness.probes} erasure requests alone, ${fairness.probeGapMs} ms apart; then the nightly run (Flashback only, ${fairness.nightlyUsers} rows, same limits settings) is started through its own webhook, and after ${fairness.warmupMs / 1000} s ${fairness.probes} more erasure requests are sent while it runs. Meanwhile the nightly run was accepted at ${fixed(nightlyRate, 1)} req/s (it had removed ${nightlyRemoved} users when the server was stopped). When the first of these erasure requests came, ${leftAtFirstProbe} nightly users were still to go: behind them in one first-come queue, the webhook's Flashback call would have waited about ${fixed(leftAtFirstProbe / hiddenRate, 0)} s. The limiter serves each run's queue in turn (round-robin), so it waits for one paced slot — or for a whole-system Retry-After pause, when one is under way.`,
				'',
				table(
					['erasure receipt', 'p50 (ms)', 'max (ms)', 'complete receipts'],
					[
						[
							'alone',
							ms(aloneMs, 50),
							ms(aloneMs, 100),
							`${alone.filter((r) => r.complete).length} / ${alone.length}`,
						],
						[
							'while the nightly run shares Flashback',
							ms(sharedMs, 50),
							ms(sharedMs, 100),
							`${shared.filter((r) => r.complete).length} / ${shared.length}`,
						],
					],
				),
				'',
				`Shared ÷ alone (p50): **${fixed(fairnessRatio, 2)} ×**.`,
			].join('\n');
			return {
				markdown,
				bars: [],
				checks: {
					latencyRequests: timed.length,
					fairnessProbes: alone.length + shared.length,
					incompleteReceipts: incomplete,
					nightlyRequests: nightlyRequests.length,
				},
			};
		} finally {
			await n8n.instance.stop();
			await sandbox.close();
		}
	},
};
