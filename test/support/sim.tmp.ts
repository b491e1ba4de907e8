import { VirtualClock } from './virtualClock';
import { HiddenSystem, removeAll } from './hiddenSystem';
async function main() {
  const cases: Array<[string, any, number, number]> = [];
  for (const users of [200, 2000]) for (const headers of ['draft10','retry-after-seconds','none'])
    cases.push([`${headers} ${users}`, { rate: { rate: 20, burst: 5, headers }, latencyMs: 5 }, users, (users - 5) / 20 * 1000]);
  for (const cap of [2, 4]) cases.push([`cap ${cap} 503+RA`, { cap: { limit: cap, status: 503, retryAfterSeconds: 1 }, latencyMs: 600 }, 200, 200 * 600 / cap]);
  cases.push([`cap 2 503 no header`, { cap: { limit: 2, status: 503 }, latencyMs: 600 }, 200, 200 * 600 / 2]);
  cases.push([`no limit 50ms`, { latencyMs: 50 }, 2000, 0]);
  const only = process.argv[2];
  for (const [name, limits, users, ideal] of cases) {
    if (only && !name.includes(only)) continue;
    const clock = new VirtualClock();
    const sys = new HiddenSystem(clock, limits);
    const run = await removeAll(clock, sys, users);
    const failed = run.outcomes.filter(o => o.status !== 'removed').length;
    const rate = users / (run.elapsedMs/1000);
    console.log(`${name.padEnd(28)} ${(run.elapsedMs/1000).toFixed(1)}s ratio ${ideal ? (run.elapsedMs/ideal).toFixed(3) : '-'} rejected ${sys.rejected} (${(100*sys.rejected/sys.requests.length).toFixed(1)}%) failed ${failed} maxInFlight ${sys.maxInFlight} thr ${rate.toFixed(1)}/s`);
  }
}
main();
