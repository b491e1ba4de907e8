/**
 * The `npm start` demo's progress bar (cli-progress), fed by the progress lines n8n logs while a
 * workflow runs (`src/n8n/progress.ts` writes them): pairs done of pairs to send, and any pause or
 * open circuit with its reason. On a terminal only; the final line is printed either way.
 */
import { Presets, SingleBar } from 'cli-progress';

export interface ProgressReading {
	event: 'progress' | 'done' | 'stopped';
	executionId: string;
	/** Time since the run started, as the line says it ("1 min 5 s"). */
	elapsed: string;
	/** Summed over the systems. */
	done: number;
	total: number;
	/** Pauses and open circuits, e.g. "Flashback paused until 09:01:08 UTC (429 with Retry-After 1 s)". */
	holds: string[];
	/** The line as n8n logged it, from "Offboarding" on. */
	line: string;
}

// n8n may colour its log lines.
// eslint-disable-next-line no-control-regex -- ANSI colour codes
const ANSI = /\u001b\[[0-9;]*m/g;
/** "Offboarding progress, execution 42, 10 s: …", "… done, execution 42, in 42 s: …". */
const HEADER =
	/Offboarding (progress|done|stopped), execution ([^,]+), (?:in |after )?([^:]+?): (.*)$/;
const SYSTEM = /^(.+?) (\d+)\/(\d+)(.*)$/;

/** One progress line read back; undefined for any other log line. */
export function readProgressLine(text: string): ProgressReading | undefined {
	const header = HEADER.exec(text.replace(ANSI, '').trimEnd());
	if (!header) return undefined;
	const reading: ProgressReading = {
		event: header[1] as ProgressReading['event'],
		executionId: header[2],
		elapsed: header[3],
		done: 0,
		total: 0,
		holds: [],
		line: header[0],
	};
	for (const part of header[4].split('; ')) {
		const system = SYSTEM.exec(part);
		if (!system) continue;
		reading.done += Number(system[2]);
		reading.total += Number(system[3]);
		const hold = /(paused until [^)]*\)|circuit open \([^)]*\))/.exec(system[4]);
		if (hold) reading.holds.push(`${system[1]} ${hold[1]}`);
	}
	return reading;
}

/** A bar over the pairs of the workflow's run, moved by each progress line `feed` sees. */
export class ProgressBar {
	private readonly bar = new SingleBar(
		{
			format: '    {bar} {value}/{total} removals | {status}',
			hideCursor: true,
			clearOnComplete: false,
		},
		Presets.shades_classic,
	);
	private started = false;
	private partial = '';
	last: ProgressReading | undefined;

	/** n8n's output as it comes: complete lines are read, the rest waits for its end. */
	feed(text: string): void {
		const lines = (this.partial + text).split('\n');
		this.partial = lines.pop() ?? '';
		for (const line of lines) {
			const reading = readProgressLine(line);
			if (reading) this.show(reading);
		}
	}

	/** Stops the bar; returns the run's final line (done or stopped), if n8n logged one. */
	stop(): string | undefined {
		if (this.started) this.bar.stop();
		this.started = false;
		return this.last && this.last.event !== 'progress' ? this.last.line : undefined;
	}

	private show(reading: ProgressReading): void {
		this.last = reading;
		const status =
			reading.event === 'done'
				? `done in ${reading.elapsed}`
				: reading.event === 'stopped'
					? `stopped after ${reading.elapsed}`
					: [`${reading.elapsed} in`, ...reading.holds].join('; ');
		if (!this.started) {
			this.started = true;
			this.bar.start(reading.total, reading.done, { status });
		} else {
			this.bar.setTotal(reading.total);
			this.bar.update(reading.done, { status });
		}
	}
}
