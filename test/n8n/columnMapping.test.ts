/**
 * Offboard Users' column settings (issue 18), through n8n-core's WorkflowExecute against the
 * sandbox: an HR export's own column names, item fields under other names, an expression per
 * system, refusals before any call, and the dry run's per-system count of rows with an id.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { OffboardUsers } from '../../nodes/OffboardUsers/OffboardUsers.node';
import { processLimiters } from '../../src/engine/limiter';
import { SEED_SYSTEM_IDS } from '../../src/systems';
import {
	DEMO_CREDENTIALS,
	demoPerson,
	HR_COLUMNS,
	hrLeaversCsv,
	leaversCsv,
	type Sandbox,
	startSandbox,
	USER_ID_FIELD,
} from '../../sandbox';
import { initBinaryData, runNode } from '../support/n8n';
import {
	CREDENTIAL_TYPES,
	csvItem,
	offboardParameters,
	sandboxCredentials,
} from '../support/n8nSandbox';

let sandbox: Sandbox;
beforeAll(async () => {
	await initBinaryData();
});
beforeEach(async () => {
	processLimiters.clear();
	sandbox = await startSandbox();
});
afterEach(async () => {
	await sandbox.close();
});

const people = [demoPerson(1), demoPerson(2), demoPerson(3)];

/** The nightly example's mapping: every column under its HR name. */
const HR_MAPPING = {
	emailColumn: HR_COLUMNS.email,
	productAccessUserIdColumn: HR_COLUMNS.productAccessUser,
	productBridgeUserIdColumn: HR_COLUMNS.productBridgeUserId,
	ejentoUserIdColumn: HR_COLUMNS.ejentoUserId,
	flashbackUserIdColumn: HR_COLUMNS.flashbackUserId,
	mudbaseUserIdColumn: HR_COLUMNS.mudbaseUserId,
};
const HR_HEADER = `"Employee No", "Full Name", "Work Email", "Last Day", "Flashback ID", "Ejento User ID", "Product Access Login", "ProductBridge ID", "Mudbase User"`;

async function run(items: INodeExecutionData[], parameters: Record<string, unknown>) {
	const result = await runNode({
		nodeType: new OffboardUsers(),
		credentialTypes: CREDENTIAL_TYPES,
		credentials: sandboxCredentials(sandbox),
		items,
		parameters: offboardParameters(parameters) as never,
	});
	const task = result.run.data.resultData.runData['Node under test']?.[0];
	return {
		...result,
		error: result.run.data.resultData.error?.message,
		hints: (task?.hints ?? []).map((h) => `${h.type}: ${h.message}`),
	};
}

/** Offboard Users over a CSV file in the first item's binary property `data`. */
async function runCsv(csv: string, parameters: Record<string, unknown>) {
	return run([csvItem(csv)], { inputSource: 'csv', binaryPropertyName: 'data', ...parameters });
}

function requestsSent(): number {
	return SEED_SYSTEM_IDS.reduce((n, s) => n + sandbox[s].removalRequests().length, 0);
}

function outcomes(items: INodeExecutionData[]): string[] {
	return items.map(
		(i) =>
			`${String(i.json.row)} ${String(i.json.system)} ${String(i.json.userId)} ${String(i.json.status)}`,
	);
}

describe('Offboard Users column settings: a CSV as HR exports it', () => {
	it('reads an HR export through the mapping (case and spaces ignored) and removes everyone', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { outputs, error } = await runCsv(hrLeaversCsv(people), {
			outputMode: 'summary',
			...HR_MAPPING,
			// As a user types them: other case, extra and missing spaces.
			emailColumn: 'work email',
			flashbackUserIdColumn: ' FLASHBACK  ID ',
			productBridgeUserIdColumn: 'Product Bridge ID',
		});
		expect(error).toBeUndefined();
		const summary = outputs[0][0].json;
		expect(summary.totals).toEqual(
			Object.fromEntries(
				SEED_SYSTEM_IDS.map((s) => [
					s,
					{ removed: 3, not_found: 0, would_remove: 0, skipped: 0, failed: 0 },
				]),
			),
		);
		expect(summary.userIds).toEqual({
			productAccess: { field: 'Product Access Login', withId: 3, missingId: 0, unreadable: 0 },
			productBridge: { field: 'Product Bridge ID', withId: 3, missingId: 0, unreadable: 0 },
			ejento: { field: 'Ejento User ID', withId: 3, missingId: 0, unreadable: 0 },
			flashback: { field: 'FLASHBACK  ID', withId: 3, missingId: 0, unreadable: 0 },
			mudbase: { field: 'Mudbase User', withId: 3, missingId: 0, unreadable: 0 },
		});
		for (const person of people)
			for (const system of SEED_SYSTEM_IDS)
				expect(sandbox.isDemoMember(system, person[USER_ID_FIELD[system]])).toBe(false);
		expect(requestsSent()).toBe(15);
	});

	it('refuses a mapped column the file does not have, before any call, naming the file and its columns', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { error } = await runCsv(hrLeaversCsv(people), {
			...HR_MAPPING,
			flashbackUserIdColumn: 'Slack ID',
			mudbaseUserIdColumn: 'Mudbase',
		});
		expect(error).toBe(
			`No column "Slack ID" (Flashback User ID Column) or "Mudbase" (Mudbase User ID Column) in leavers.csv; its columns are: ${HR_HEADER}. Map each to one of them in Offboard Users, or rename the column in the file. Nothing was removed.`,
		);
		expect(requestsSent()).toBe(0);
	});

	it("refuses a system's default column the file does not have (every row would be skipped there)", async () => {
		for (const person of people) sandbox.addPerson(person);
		const csv = `email,flashbackUserId\r\n${people.map((p) => `${p.email},${p.flashbackUserId}`).join('\r\n')}\r\n`;
		const { error } = await runCsv(csv, {
			systems: ['flashback', 'ejento'],
		});
		expect(error).toBe(
			'No column "ejentoUserId" (Ejento User ID Column) in leavers.csv; its columns are: "email", "flashbackUserId". Map it to one of them in Offboard Users, or rename the column in the file. Nothing was removed.',
		);
		expect(requestsSent()).toBe(0);
	});

	it('refuses a name that matches two columns once case and spaces are ignored', async () => {
		const csv = `Work Email,work email,flashbackUserId\r\na@x.io,b@x.io,fb_user_1\r\n`;
		const { error } = await runCsv(csv, {
			systems: ['flashback'],
			emailColumn: 'WORK EMAIL',
		});
		expect(error).toBe(
			'Email Column "WORK EMAIL" matches 2 columns of leavers.csv ("Work Email", "work email"): rename one of them in the file. Nothing was removed.',
		);
		expect(requestsSent()).toBe(0);
	});

	it('applies Protected Users to the mapped email column', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { outputs, error } = await runCsv(hrLeaversCsv(people), {
			systems: ['flashback', 'ejento'],
			...HR_MAPPING,
			options: { protectedUsers: people[1].email.toUpperCase() },
		});
		expect(error).toBeUndefined();
		expect(outcomes(outputs[0]).sort()).toEqual(
			[
				`1 ejento ${people[0].ejentoUserId} removed`,
				`1 flashback ${people[0].flashbackUserId} removed`,
				`2 ejento ${people[1].ejentoUserId} skipped`,
				`2 flashback ${people[1].flashbackUserId} skipped`,
				`3 ejento ${people[2].ejentoUserId} removed`,
				`3 flashback ${people[2].flashbackUserId} removed`,
			].sort(),
		);
		expect(outputs[0].find((i) => i.json.row === 2)?.json.reason).toBe(
			`"${people[1].email}" is in Protected Users: not removed`,
		);
		expect(sandbox.isDemoMember('flashback', people[1].flashbackUserId)).toBe(true);
		expect(sandbox.isDemoMember('ejento', people[1].ejentoUserId)).toBe(true);
		expect(requestsSent()).toBe(4);
	});

	it('keeps reading the default names when nothing is mapped', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { outputs, error } = await runCsv(leaversCsv(people), {
			systems: ['flashback'],
		});
		expect(error).toBeUndefined();
		expect(outcomes(outputs[0])).toEqual(
			people.map((p, i) => `${i + 1} flashback ${p.flashbackUserId} removed`),
		);
	});
});

/** Items as a spreadsheet or HR node hands them over: its own field names. */
function hrItems(): INodeExecutionData[] {
	return people.map((p) => ({
		json: {
			'Work Email': p.email,
			'Flashback user': p.flashbackUserId,
			ids: { ejento: p.ejentoUserId },
		} as IDataObject,
	}));
}

describe('Offboard Users column settings: incoming items', () => {
	it('reads item fields under other names, a nested one by its path', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { outputs, error } = await run(hrItems(), {
			systems: ['flashback', 'ejento'],
			emailColumn: 'work email',
			flashbackUserIdColumn: 'flashback user',
			ejentoUserIdColumn: 'ids.ejento',
		});
		expect(error).toBeUndefined();
		expect(outcomes(outputs[0])).toEqual(
			people.flatMap((p, i) => [
				`${i + 1} flashback ${p.flashbackUserId} removed`,
				`${i + 1} ejento ${p.ejentoUserId} removed`,
			]),
		);
		expect(outputs[0].map((i) => i.json.email)).toEqual(people.flatMap((p) => [p.email, p.email]));
		for (const person of people) {
			expect(sandbox.isDemoMember('flashback', person.flashbackUserId)).toBe(false);
			expect(sandbox.isDemoMember('ejento', person.ejentoUserId)).toBe(false);
		}
	});

	it('evaluates an expression per system and per item; an item it gives nothing for is skipped', async () => {
		for (const person of people) sandbox.addPerson(person);
		const items = hrItems();
		delete items[1].json['Flashback user'];
		const { outputs, error } = await run(items, {
			systems: ['flashback', 'ejento'],
			emailColumn: '={{ $json["Work Email"] }}',
			flashbackUserIdColumn: '={{ $json["Flashback user"] }}',
			ejentoUserIdColumn: '={{ $json.ids.ejento }}',
		});
		expect(error).toBeUndefined();
		expect(outcomes(outputs[0])).toEqual([
			`1 flashback ${people[0].flashbackUserId} removed`,
			`1 ejento ${people[0].ejentoUserId} removed`,
			'2 flashback  skipped',
			`2 ejento ${people[1].ejentoUserId} removed`,
			`3 flashback ${people[2].flashbackUserId} removed`,
			`3 ejento ${people[2].ejentoUserId} removed`,
		]);
		expect(outputs[0][2].json).toMatchObject({
			email: people[1].email,
			reason:
				'row 2 has no value of the "Flashback User ID Column" expression: nothing to remove in Flashback',
		});
		expect(sandbox.isDemoMember('flashback', people[1].flashbackUserId)).toBe(true);
		expect(requestsSent()).toBe(5);
	});

	it('reads a scope from a renamed field, or a list of scopes from an expression', async () => {
		const [ann, bob] = people;
		sandbox.addPerson(ann);
		sandbox.addPerson(bob);
		sandbox.flashback.addWorkspace('ws_two', [DEMO_CREDENTIALS.flashback.accountId]);
		sandbox.flashback.addMember('ws_two', bob.flashbackUserId);
		const { outputs, error } = await run(
			[
				{ json: { user: ann.flashbackUserId, 'Team Space': 'ws_demo', spaces: ['ws_demo'] } },
				{
					json: {
						user: bob.flashbackUserId,
						'Team Space': 'ws_demo',
						spaces: ['ws_demo', 'ws_two'],
					},
				},
			],
			{
				systems: ['flashback'],
				flashbackUserIdColumn: 'user',
				flashbackWorkspaceIdSource: 'field',
				flashbackWorkspaceIdField: '={{ $json.spaces }}',
			},
		);
		expect(error).toBeUndefined();
		expect(outputs[0].map((i) => [i.json.row, i.json.scope, i.json.status])).toEqual([
			[1, { workspaceId: 'ws_demo' }, 'removed'],
			[2, { workspaceId: 'ws_demo' }, 'removed'],
			[2, { workspaceId: 'ws_two' }, 'removed'],
		]);
		expect(sandbox.flashback.isMember('ws_two', bob.flashbackUserId)).toBe(false);

		sandbox.addPerson(ann);
		const byName = await run([{ json: { user: ann.flashbackUserId, 'Team Space': 'ws_demo' } }], {
			systems: ['flashback'],
			flashbackUserIdColumn: 'user',
			flashbackWorkspaceIdSource: 'field',
			flashbackWorkspaceIdField: 'team space',
		});
		expect(outcomes(byName.outputs[0])).toEqual([`1 flashback ${ann.flashbackUserId} removed`]);
		expect(byName.outputs[0][0].json.scope).toEqual({ workspaceId: 'ws_demo' });
	});

	it('refuses an expression that gives a field name (meant as the name, it would remove a user called so)', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { error } = await run(hrItems(), {
			systems: ['flashback'],
			flashbackUserIdColumn: '={{ "Flashback user" }}',
		});
		expect(error).toBe(
			'The Flashback User ID Column expression gave "Flashback user" for item 1, which is the name of one of its fields: write the field name without {{ }} to read that field, or make the expression give the value (e.g. {{ $json["Flashback user"] }}). Nothing was removed.',
		);
		expect(requestsSent()).toBe(0);
	});

	it('refuses a name set by hand that no item has, listing the first item’s fields', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { error } = await run(hrItems(), {
			systems: ['flashback'],
			emailColumn: 'Work Email',
			flashbackUserIdColumn: 'Slack ID',
		});
		expect(error).toBe(
			'No incoming item has a field "Slack ID" (Flashback User ID Column); the first item\'s fields are: "Work Email", "Flashback user", "ids". Map it to one of them, or use an expression. Nothing was removed.',
		);
		expect(requestsSent()).toBe(0);
	});

	it('shows in a dry run, per system, how many rows had an id, and warns where none had one', async () => {
		const items = hrItems();
		delete items[0].json['Flashback user'];
		delete items[2].json['Flashback user'];
		const { outputs, error, hints } = await run(items, {
			systems: ['flashback', 'ejento'],
			emailColumn: 'Work Email',
			flashbackUserIdColumn: 'Flashback user',
			outputMode: 'summary',
			options: { dryRun: true },
		});
		expect(error).toBeUndefined();
		const summary = outputs[0][0].json;
		expect(summary.userIds).toEqual({
			ejento: { field: 'ejentoUserId', withId: 0, missingId: 3, unreadable: 0 },
			flashback: { field: 'Flashback user', withId: 1, missingId: 2, unreadable: 0 },
		});
		expect(summary.requestsToSend).toBe(1);
		const ejentoWarning =
			'Ejento: none of the 3 rows has a user id in "ejentoUserId": nothing was sent there. Check the column it is read from.';
		expect(summary.warnings).toEqual([ejentoWarning]);
		expect(hints).toEqual([
			'info: Flashback: 1 of 3 rows with a user id in "Flashback user", 2 skipped without one',
			'info: Ejento: 0 of 3 rows with a user id in "ejentoUserId", 3 skipped without one',
			`warning: ${ejentoWarning}`,
		]);
		expect(requestsSent()).toBe(0);
	});
});
