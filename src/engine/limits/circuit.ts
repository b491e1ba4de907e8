/**
 * The circuit part (Nygard's circuit breaker): closed → open (refuse at once, with the reason) →
 * after its time, half-open (one probe request decides) → closed or open again.
 */

export type CircuitCause = 'server' | 'quota';

export type Circuit =
	| { state: 'closed' }
	| { state: 'open'; reason: string; until: number; cause: CircuitCause }
	| { state: 'half-open'; reason: string; cause: CircuitCause; probing: boolean };

export const CLOSED: Circuit = { state: 'closed' };

/** The circuit as it stands at `now`: an open one past its time becomes half-open. */
export function circuitAt(circuit: Circuit, now: number): Circuit {
	if (circuit.state === 'open' && now >= circuit.until)
		return { state: 'half-open', reason: circuit.reason, cause: circuit.cause, probing: false };
	return circuit;
}

/**
 * What the answer to a half-open circuit's probe does to it: a 5xx or a lost answer reopens a
 * circuit that 5xx opened (with the new reason); a lost answer leaves a quota circuit for the next
 * probe; any answer the system gave closes a quota circuit, and anything but trouble a 5xx one.
 */
export function afterProbe(
	circuit: Circuit,
	answer: 'server_error' | 'transport_error' | 'answered',
	reason: string,
	now: number,
	cooldownMs: number,
): Circuit {
	if (circuit.state !== 'half-open') return circuit;
	if (answer !== 'answered' && circuit.cause === 'server')
		return { state: 'open', reason, cause: 'server', until: now + cooldownMs };
	if (answer === 'transport_error') return { ...circuit, probing: false };
	return CLOSED;
}
