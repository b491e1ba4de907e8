/** What an emulator saw, counted from its own request log and membership: the ground truth. */
import type { RecordedRequest, Sandbox } from '../../sandbox';
import type { SystemId } from '../../src/systems/types';

export interface Truth {
	/** Users of `userIds` no longer members. */
	removed: number;
	/** Removal requests received (every DELETE / delete POST, 429s included). */
	requests: number;
	rateLimited: number;
	/** Requests for a user an earlier request had already removed. */
	duplicates: number;
}

/** The user a removal request was about: the body's id field, else the path's last segment. */
export function userOf(record: RecordedRequest): string {
	if (record.body) {
		try {
			const body = JSON.parse(record.body) as { userId?: unknown; user_id?: unknown };
			const id = body.userId ?? body.user_id;
			if (typeof id === 'string') return id;
		} catch {
			// not JSON: the id is in the path
		}
	}
	const path = record.rawUrl.split('?')[0];
	return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}

/** `requests`: an emulator's removal requests; `isMember`: its membership now. */
export function truthOf(
	requests: readonly RecordedRequest[],
	isMember: (userId: string) => boolean,
	userIds: readonly string[],
): Truth {
	const removedAlready = new Set<string>();
	let duplicates = 0;
	let rateLimited = 0;
	for (const request of requests) {
		if (request.rateLimited) rateLimited++;
		const user = userOf(request);
		if (removedAlready.has(user)) duplicates++;
		if (request.acted) removedAlready.add(user);
	}
	return {
		removed: userIds.filter((id) => !isMember(id)).length,
		requests: requests.length,
		rateLimited,
		duplicates,
	};
}

export function sandboxTruth(sandbox: Sandbox, system: SystemId, userIds: readonly string[]): Truth {
	return truthOf(
		sandbox[system].removalRequests(),
		(id) => sandbox.isDemoMember(system, id),
		userIds,
	);
}
