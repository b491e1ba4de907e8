/** Workload sizes: the (`npm run bench`) and tiny ones for the smoke run (`-- --smoke`). */
import type { HeaderStyle } from '../../sandbox';
import type { SeedSystemId } from '../../src/systems';

export interface HiddenLimit {
	rate: number;
	burst: number;
	headers: HeaderStyle;
}

export interface Sizes {
	/** Users in the utilisation, usual-way and five-systems runs. */
	users: number;
	/** The hidden limit of the one limited system (Flashback). */
	hiddenRate: number;
	burst: number;
	/** The usual way is killed after this multiple of our wall time (Retry-After variant)… */
	usualCapFactor: number;
	/** …or at least this long. */
	usualCapMinMs: number;
	/** Five systems at once: each system's own hidden limit. */
	fiveSystems: Record<SeedSystemId, HiddenLimit>;
	fairness: { nightlyUsers: number; probes: number; probeGapMs: number; warmupMs: number };
	latency: { requests: number; minMs: number; maxMs: number };
	overhead: { engineUsers: number; n8nUsers: number };
	memory: { engineRows: number[]; n8nRows: number[] };
	/** Queue mode (issue 15): main + N workers on one Redis, the same workload for each N. */
	queue: {
		workerCounts: number[];
		batches: number;
		batchSize: number;
		gdprCount: number;
		gdprSpacingMs: number;
		/** When the GDPR requests start, after the batches (`Workload.gdprAfterMs`). */
		gdprAfterMs: number;
		/** One-person GDPR requests before the batches (the latency baseline). */
		aloneRequests: number;
		hidden: { rate: number; burst: number };
		/** The explicit-maximum run: Max Rate per worker setting, batches × users, no hidden limit. */
		capped: { maxRate: number; batches: number; batchSize: number };
	};
	/** With the package's defaults (no Limits per System): DESIGN §7's first two bars. */
	defaults: {
		/** Flashback's hidden limit, announced in each of three dialects. */
		hidden: { rate: number; burst: number };
		/** A long run and a short one under that limit (the short one is mostly discovery). */
		longUsers: number;
		shortUsers: number;
		/** A concurrency cap answering 503 + Retry-After, no rate limit. */
		cap: { limits: number[]; latencyMs: number; retryAfterSeconds: number; users: number };
		/** No limit at all: how far concurrency discovery goes. */
		open: { users: number; latencyMs: number };
	};
}

export const FULL: Sizes = {
	users: 2000,
	hiddenRate: 20,
	burst: 5,
	usualCapFactor: 1.25,
	usualCapMinMs: 60_000,
	fiveSystems: {
		flashback: { rate: 20, burst: 5, headers: 'retry-after-seconds' },
		mudbase: { rate: 25, burst: 5, headers: 'retry-after-date' },
		productBridge: { rate: 30, burst: 5, headers: 'legacy' },
		ejento: { rate: 35, burst: 5, headers: 'x-ratelimit-delta' },
		productAccess: { rate: 40, burst: 5, headers: 'draft10' },
	},
	fairness: { nightlyUsers: 2000, probes: 8, probeGapMs: 2500, warmupMs: 8000 },
	latency: { requests: 50, minMs: 50, maxMs: 150 },
	overhead: { engineUsers: 5000, n8nUsers: 2000 },
	memory: { engineRows: [10_000, 100_000, 1_000_000], n8nRows: [10_000, 100_000] },
	queue: {
		workerCounts: [1, 2, 4],
		batches: 4,
		batchSize: 500,
		gdprCount: 20,
		gdprSpacingMs: 500,
		gdprAfterMs: 8_000,
		aloneRequests: 20,
		hidden: { rate: 30, burst: 5 },
		capped: { maxRate: 20, batches: 2, batchSize: 200 },
	},
	defaults: {
		hidden: { rate: 20, burst: 5 },
		longUsers: 2000,
		shortUsers: 200,
		cap: { limits: [2, 4], latencyMs: 600, retryAfterSeconds: 1, users: 200 },
		open: { users: 2000, latencyMs: 50 },
	},
};

export const SMOKE: Sizes = {
	users: 20,
	hiddenRate: 50,
	burst: 5,
	usualCapFactor: 2,
	usualCapMinMs: 60_000,
	fiveSystems: {
		flashback: { rate: 50, burst: 5, headers: 'retry-after-seconds' },
		mudbase: { rate: 60, burst: 5, headers: 'retry-after-date' },
		productBridge: { rate: 70, burst: 5, headers: 'legacy' },
		ejento: { rate: 80, burst: 5, headers: 'x-ratelimit-delta' },
		productAccess: { rate: 90, burst: 5, headers: 'draft10' },
	},
	fairness: { nightlyUsers: 100, probes: 2, probeGapMs: 300, warmupMs: 300 },
	latency: { requests: 5, minMs: 50, maxMs: 150 },
	overhead: { engineUsers: 200, n8nUsers: 200 },
	memory: { engineRows: [2_000], n8nRows: [200] },
	queue: {
		workerCounts: [2],
		batches: 2,
		batchSize: 20,
		gdprCount: 2,
		gdprSpacingMs: 200,
		gdprAfterMs: 200,
		aloneRequests: 2,
		hidden: { rate: 50, burst: 5 },
		capped: { maxRate: 20, batches: 2, batchSize: 20 },
	},
	defaults: {
		hidden: { rate: 50, burst: 5 },
		longUsers: 30,
		shortUsers: 10,
		cap: { limits: [2, 4], latencyMs: 100, retryAfterSeconds: 1, users: 8 },
		open: { users: 40, latencyMs: 50 },
	},
};
