// Preloaded into the n8n processes a benchmark starts (NODE_OPTIONS=--require): samples the V8 heap
// every 50 ms and, at exit, writes this process's peak heap, peak RSS and CPU time to
// `$BENCH_STATS_DIR/<pid>.json`, so a benchmark reads n8n's own numbers rather than guessing them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.BENCH_STATS_DIR;
if (dir) {
	let peakHeapUsed = 0;
	let peakHeapTotal = 0;
	const sample = () => {
		const usage = process.memoryUsage();
		peakHeapUsed = Math.max(peakHeapUsed, usage.heapUsed);
		peakHeapTotal = Math.max(peakHeapTotal, usage.heapTotal);
	};
	setInterval(sample, 50).unref();
	process.on('exit', () => {
		sample();
		const cpu = process.cpuUsage();
		const stats = {
			pid: process.pid,
			argv: process.argv.slice(1),
			peakHeapUsed,
			peakHeapTotal,
			maxRssBytes: process.resourceUsage().maxRSS * 1024,
			cpuMs: (cpu.user + cpu.system) / 1000,
		};
		try {
			fs.writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(stats));
		} catch {
			// the benchmark reports the numbers as missing
		}
	});
}
