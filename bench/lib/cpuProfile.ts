/** Reads a V8 `.cpuprofile`: self time per function and per area, optionally within a time window. */

export interface CpuProfile {
	nodes: Array<{
		id: number;
		callFrame: { functionName: string; url: string; lineNumber: number };
	}>;
	startTime: number;
	endTime: number;
	samples: number[];
	timeDeltas: number[];
}

export interface ProfileSummary {
	/** Sampled time in the window (ms). */
	totalMs: number;
	top: Array<{ fn: string; where: string; area: string; ms: number; share: number }>;
	areas: Array<{ area: string; ms: number; share: number }>;
}

/** Where a function lives, in words a reader can act on. */
export function areaOf(url: string, fn: string): string {
	if (fn === '(garbage collector)') return 'garbage collection';
	if (fn === '(idle)' || fn === '(program)')
		return fn === '(idle)' ? 'idle' : 'V8 / native (program)';
	if (url.includes('n8n-nodes-batch-offboarding') || /\/(src|nodes)\/.*\.ts$/.test(url))
		return 'this package';
	if (/node_modules\/(n8n-core|n8n-workflow|n8n|@n8n)\//.test(url)) return 'n8n';
	if (url.includes('node_modules/')) {
		const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(
			url.slice(url.lastIndexOf('node_modules/')),
		);
		return `dependency ${match?.[1] ?? ''}`;
	}
	if (url.startsWith('node:') || url === '') return 'Node.js internals';
	return 'other';
}

function shortWhere(url: string, line: number): string {
	const path = url.replace(/^file:\/\//, '');
	const marker = path.lastIndexOf('node_modules/');
	const tail =
		marker >= 0 ? path.slice(marker + 'node_modules/'.length) : path.split('/').slice(-2).join('/');
	return tail ? `${tail}:${line + 1}` : '(native)';
}

/**
 * `window`: [from, to] in the profile's own clock (µs); absent = the whole profile. Idle time is
 * left out of the shares: they say where the CPU went.
 */
export function summarise(
	profile: CpuProfile,
	window?: [number, number],
	topN = 10,
): ProfileSummary {
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const selfUs = new Map<number, number>();
	let t = profile.startTime;
	for (let i = 0; i < profile.samples.length; i++) {
		const delta = profile.timeDeltas[i] ?? 0;
		t += delta;
		if (window && (t < window[0] || t > window[1])) continue;
		const next = profile.timeDeltas[i + 1] ?? delta;
		selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + next);
	}
	const functions = new Map<string, { fn: string; where: string; area: string; us: number }>();
	const areas = new Map<string, number>();
	let busyUs = 0;
	for (const [id, us] of selfUs) {
		const frame = byId.get(id)?.callFrame;
		if (!frame) continue;
		const fn = frame.functionName || '(anonymous)';
		const area = areaOf(frame.url, fn);
		if (area === 'idle') continue;
		busyUs += us;
		areas.set(area, (areas.get(area) ?? 0) + us);
		const where = shortWhere(frame.url, frame.lineNumber);
		const key = `${fn}@${where}`;
		const entry = functions.get(key) ?? { fn, where, area, us: 0 };
		entry.us += us;
		functions.set(key, entry);
	}
	const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
	return {
		totalMs: busyUs / 1000,
		top: [...functions.values()]
			.sort((a, b) => b.us - a.us)
			.slice(0, topN)
			.map((f) => ({
				fn: f.fn,
				where: f.where,
				area: f.area,
				ms: f.us / 1000,
				share: share(f.us),
			})),
		areas: [...areas.entries()]
			.sort((a, b) => b[1] - a[1])
			.map(([area, us]) => ({ area, ms: us / 1000, share: share(us) })),
	};
}
