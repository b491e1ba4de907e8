/**
 * Progress while a node's run works: one line per execution through n8n's logger (info, n8n's
 * default level, so it shows in `n8n start`, worker and `n8n execute` logs) every few seconds and at
 * each pause or circuit start, then one final line. Lines carry counts, rates and reasons the
 * engine already scrubbed: never a secret, never an email.
 */
import type { Offboarding } from '../engine/offboard';
import type { ProgressEvent, RunProgress, SystemProgress } from '../engine/timeline';

/** Wall time between two progress lines of one execution. */
export const PROGRESS_EVERY_MS = 5_000;

export interface ProgressLogger {
	info(message: string): void;
}

/** "42 s", "3 min 5 s", "2 h 14 min". */
export function formatDuration(ms: number): string {
	const s = Math.max(0, Math.round(ms / 1000));
	if (s < 60) return `${s} s`;
	if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
	const min = Math.floor(s / 60) % 60;
	return min === 0 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 3600)} h ${min} min`;
}

/** "12:00:07 UTC": the end of a pause, read beside the log's own timestamps. */
function clockTime(epochMs: number): string {
	return `${new Date(epochMs).toISOString().slice(11, 19)} UTC`;
}

/** "19.6", "7.5", "0.48": three significant digits at most, enough to see a rate move. */
function rate(perSecond: number): string {
	return String(Number(perSecond.toFixed(perSecond >= 10 ? 1 : 2)));
}

/** "(118 removed, 1 not found, 1 failed)": only the statuses that occurred. */
function outcomes(system: SystemProgress): string {
	const parts = [
		[system.removed, 'removed'],
		[system.notFound, 'not found'],
		[system.failed, 'failed'],
		[system.skipped, 'skipped'],
		[system.wouldRemove, 'would remove'],
	]
		.filter(([count]) => (count as number) > 0)
		.map(([count, label]) => `${count} ${label}`);
	return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * Time left for a system: its remaining pairs at the current rate, after the current pause. An open
 * circuit fails the rest fast, so it has no ETA.
 */
function etaMs(system: SystemProgress, now: number): number | undefined {
	const remaining = system.total - system.done;
	if (remaining <= 0 || system.circuit || !system.ratePerSecond) return undefined;
	const pauseLeft = system.pause ? Math.max(0, system.pause.until - now) : 0;
	return pauseLeft + (remaining / system.ratePerSecond) * 1000;
}

function systemPart(system: SystemProgress, now: number): string {
	const parts = [`${system.name} ${system.done}/${system.total}${outcomes(system)}`];
	if (system.done >= system.total) return parts[0];
	if (system.circuit) parts.push(`circuit open (${system.circuit.reason})`);
	if (system.pause)
		parts.push(`paused until ${clockTime(system.pause.until)} (${system.pause.reason})`);
	if (system.ratePerSecond !== undefined) parts.push(`${rate(system.ratePerSecond)}/s`);
	if (system.concurrency !== undefined) parts.push(`concurrency ${system.concurrency}`);
	const eta = etaMs(system, now);
	if (eta !== undefined) parts.push(`ETA ${formatDuration(eta)}`);
	return parts.join(', ');
}

/**
 * One line for one execution, e.g. `Offboarding progress, execution 42, 10 s: Flashback 120/300
 * (118 removed, 2 failed), 19.6/s, concurrency 4, ETA 10 s; Mudbase 100/100 (100 removed)`.
 */
export function progressLine(executionId: string, progress: RunProgress, event: ProgressEvent) {
	const now = progress.startedAt + progress.elapsedMs;
	const systems = progress.systems.map((system) => systemPart(system, now)).join('; ');
	const took = formatDuration(progress.elapsedMs);
	if (event === 'done') return `Offboarding done, execution ${executionId}, in ${took}: ${systems}`;
	if (event === 'stopped')
		return `Offboarding stopped, execution ${executionId}, after ${took}: ${systems}`;
	return `Offboarding progress, execution ${executionId}, ${took}: ${systems}`;
}

/**
 * Logs `run`'s progress until it ends, the execution is cancelled (`signal`), or the returned stop
 * function is called — whichever comes first; after that nothing is logged and no timer is left.
 */
export function logProgress(
	run: Offboarding,
	logger: ProgressLogger,
	executionId: string,
	signal?: AbortSignal,
	everyMs: number = PROGRESS_EVERY_MS,
): () => void {
	let stopped = false;
	const stop = (): void => {
		if (stopped) return;
		stopped = true;
		unsubscribe();
		signal?.removeEventListener('abort', stop);
	};
	const unsubscribe = run.onProgress((progress, event) => {
		// A cancelled execution stops its lines; the run's own "stopped" comes after the cancel.
		if (stopped || signal?.aborted) return;
		logger.info(progressLine(executionId, progress, event));
		if (event === 'done' || event === 'stopped') stop();
	}, everyMs);
	if (signal?.aborted) stop();
	else signal?.addEventListener('abort', stop, { once: true });
	return stop;
}
