/** What one request's answer told the limiter. */
import type { VerdictKind } from '../../systems/types';

export interface Observation {
	kind: VerdictKind | 'transport_error';
	headers?: Readonly<Record<string, string>>;
	/** The verdict's reason: becomes the circuit's reason if this answer opens it. */
	reason: string;
	/** An overload answer that names concurrency ("too many concurrent requests"). */
	concurrencyLimited?: boolean;
}
