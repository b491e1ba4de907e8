import { afterProbe, type Circuit, circuitAt, CLOSED } from '../../../src/engine/limits/circuit';

const open = (cause: 'server' | 'quota'): Circuit => ({
	state: 'open',
	reason: 'down',
	cause,
	until: 1_000,
});

describe('circuit', () => {
	it('stays open until its time, then lets one probe decide', () => {
		expect(circuitAt(open('server'), 999)).toEqual(open('server'));
		expect(circuitAt(open('server'), 1_000)).toEqual({
			state: 'half-open',
			reason: 'down',
			cause: 'server',
			probing: false,
		});
		expect(circuitAt(CLOSED, 5)).toBe(CLOSED);
	});

	it('closes on any answer to its probe but trouble, and reopens a 5xx circuit on trouble', () => {
		const half = circuitAt(open('server'), 1_000);
		expect(afterProbe(half, 'answered', 'ok', 2_000, 60_000)).toEqual(CLOSED);
		expect(afterProbe(half, 'server_error', 'still down', 2_000, 60_000)).toEqual({
			state: 'open',
			reason: 'still down',
			cause: 'server',
			until: 62_000,
		});
		expect(afterProbe(half, 'transport_error', 'reset', 2_000, 60_000)).toEqual({
			state: 'open',
			reason: 'reset',
			cause: 'server',
			until: 62_000,
		});
	});

	it('a quota circuit closes on any answer and waits for another probe after a lost one', () => {
		const half = circuitAt(open('quota'), 1_000);
		expect(afterProbe(half, 'server_error', '500', 2_000, 60_000)).toEqual(CLOSED);
		expect(
			afterProbe({ ...half, probing: true } as Circuit, 'transport_error', 'x', 2_000, 60_000),
		).toEqual({ ...half, probing: false });
	});
});
