/** Large leavers CSVs, written in chunks (a 1,000,000-row file is never one string in memory). */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { demoPerson } from '../../sandbox';

/**
 * A realistic HR export: wide rows (name, department, manager, notes…), of which Flashback's run
 * reads two columns. Flashback ids are `fb_user_<n>`, as `demoPerson(n)`.
 */
export async function writeWideLeavers(path: string, rows: number): Promise<number> {
	const out = createWriteStream(path);
	out.write(
		'email,name,department,manager,lastDay,costCenter,location,notes,flashbackUserId,ejentoUserId\n',
	);
	const chunk: string[] = [];
	for (let i = 1; i <= rows; i++) {
		const p = demoPerson(i);
		chunk.push(
			`${p.email},Person Number ${i},Department ${i % 40},manager${i % 500}@example.com,2026-11-${String((i % 28) + 1).padStart(2, '0')},CC-${i % 300},Office ${i % 12},"Leaver ${i}: laptop returned, badge disabled",${p.flashbackUserId},${p.ejentoUserId}\n`,
		);
		if (chunk.length === 10_000 || i === rows) {
			if (!out.write(chunk.join(''))) await once(out, 'drain');
			chunk.length = 0;
		}
	}
	out.end();
	await once(out, 'finish');
	return out.bytesWritten;
}
