import { VirtualClock } from './virtualClock';
import { HiddenSystem, removeAll } from './hiddenSystem';
async function main() {
  const combos = [[20,5],[20,20],[10,2],[50,10],[5,1],[100,20]];
  const headers = (process.argv[2] ?? 'retry-after-seconds') as any;
  const out: string[] = [];
  for (const [rate, burst] of combos) for (const secs of [10, 100]) {
    const users = Math.round(rate * secs + burst);
    const clock = new VirtualClock();
    const sys = new HiddenSystem(clock, { rate: { rate, burst, headers }, latencyMs: 5 });
    const run = await removeAll(clock, sys, users);
    const ideal = (users - burst) / rate * 1000;
    const failed = run.outcomes.filter(o => o.status !== 'removed').length;
    out.push(`L${rate}B${burst}x${secs}s:${(run.elapsedMs/ideal).toFixed(2)}/${sys.rejected}${failed ? '/F'+failed : ''}`);
  }
  console.log(headers, out.join(' '));
}
main();
