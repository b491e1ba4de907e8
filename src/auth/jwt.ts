/** Reads a JWT's claims without verifying it: enough to check `exp` and learn `sub` before a run. */
export interface JwtClaims {
	exp?: number;
	sub?: string;
}

export function decodeJwtClaims(token: string): JwtClaims | undefined {
	const payload = token.split('.')[1];
	if (!payload) return undefined;
	try {
		const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
			string,
			unknown
		>;
		return {
			...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}),
			...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
		};
	} catch {
		return undefined;
	}
}
