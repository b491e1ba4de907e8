/** Builders for engine tests: runtimes over fake systems, pairs, and collecting a run. */
import { DEFAULT_LIMITS, LimiterRegistry, type LimitSettings } from '../../src/engine/limiter';
import type { Pair, PairOutcome } from '../../src/engine/outcome';
import { DEFAULT_RETRY, type RetrySettings } from '../../src/engine/retry';
import { runRemovals, type Run, type RunOptions, type SystemRuntime } from '../../src/engine/run';
import { SYSTEMS, type SeedSystemId } from '../../src/systems';
import type { Transport } from '../../src/transport/types';

export const FAST_LIMITS: LimitSettings = {
	...DEFAULT_LIMITS,
	maxConcurrency: 4,
	ratePerSecond: 1000,
	burst: 10,
};

export function runtimeFor(
	system: SeedSystemId,
	transport: Transport,
	overrides: { limits?: Partial<LimitSettings>; retry?: Partial<RetrySettings> } & Partial<
		Omit<SystemRuntime, 'limits' | 'retry'>
	> = {},
): SystemRuntime {
	const { limits, retry, ...rest } = overrides;
	return {
		system: SYSTEMS[system],
		baseUrl: `https://${system.toLowerCase()}.test`,
		transport,
		secrets: () => ['tok_secret'],
		credentialKey: 'credential-1',
		limits: { ...FAST_LIMITS, ...limits },
		retry: { ...DEFAULT_RETRY, ...retry },
		...rest,
	};
}

const SCOPES: Record<SeedSystemId, Record<string, string>> = {
	productAccess: { productId: 'p1' },
	productBridge: {},
	ejento: { projectId: '151' },
	flashback: { workspaceId: 'ws1' },
	mudbase: { projectId: 'proj', chatId: 'chat' },
};

/** `count` pairs for `system`, users `${prefix}1` … (Ejento: numeric ids starting at `prefix`). */
export function pairsFor(system: SeedSystemId, count: number, prefix = 'u'): Pair[] {
	return Array.from({ length: count }, (_, i) => ({
		id: `${system}-${prefix}${i + 1}`,
		row: i + 1,
		system,
		scope: SCOPES[system],
		userId: system === 'ejento' ? String(1000 + i + 1) : `${prefix}${i + 1}`,
	}));
}

export async function collect(run: Run): Promise<PairOutcome[]> {
	const out: PairOutcome[] = [];
	for await (const outcome of run) out.push(outcome);
	return out;
}

export function newRun(
	pairs: Pair[],
	options: Omit<RunOptions, 'limiters'> & { limiters?: LimiterRegistry },
): Run {
	if (!options.limiters) throw new Error('pass a LimiterRegistry built on the test clock');
	return runRemovals(pairs, options as RunOptions);
}

export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
	const out: Record<string, number> = {};
	for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
	return out;
}
