import { csvColumns } from '../../src/n8n/run';
import { columnKey, fieldValue } from '../../src/engine/rows';
import { scimSystem } from '../../src/systems/scim';
import { systemPlan } from '../support/plan';

describe('column names as they are matched', () => {
	it('ignores case and every kind of space (known answers)', () => {
		expect(columnKey('Work Email')).toBe('workemail');
		expect(columnKey(' WORK\u00a0 email\t')).toBe('workemail'); // Excel's no-break space
		expect(columnKey('Slack_ID')).toBe('slack_id'); // an underscore is not a space
		expect(columnKey('')).toBe('');
	});

	it('finds a field by its exact name first, then by its key, then by a dotted path', () => {
		const fields = {
			'Work Email': 'a@x.io',
			workemail: 'exact@x.io',
			'Dept. ID': 'd1',
			person: { 'Slack ID': 'U1', nested: { id: 7 } },
			list: ['x'],
		};
		expect(fieldValue(fields, 'workemail')).toBe('exact@x.io');
		expect(fieldValue(fields, 'Work Email')).toBe('a@x.io');
		expect(fieldValue(fields, 'work  EMAIL')).toBe('a@x.io');
		expect(fieldValue(fields, 'Dept. ID')).toBe('d1');
		expect(fieldValue(fields, 'person.slack id')).toBe('U1');
		expect(fieldValue(fields, 'person.nested.id')).toBe(7);
		expect(fieldValue(fields, 'list.0')).toBeUndefined();
		expect(fieldValue(fields, 'person.')).toBeUndefined();
		expect(fieldValue(fields, 'missing')).toBeUndefined();
	});
});

describe('the columns a CSV run reads', () => {
	it('requires every id and scope column, and the email column when mapped or found by', () => {
		const flashback = systemPlan('flashback', {
			userId: { field: 'Flashback ID' },
			scopes: { workspaceId: { field: 'Space' } },
		});
		expect(csvColumns([flashback, systemPlan('ejento')], { field: 'email' })).toEqual([
			{ name: 'email', what: 'Email Column', required: false },
			{ name: 'Flashback ID', what: 'Flashback User ID Column', required: true },
			{ name: 'Space', what: 'Flashback Workspace ID Field', required: true },
			{ name: 'ejentoUserId', what: 'Ejento User ID Column', required: true },
		]);
		expect(csvColumns([systemPlan('ejento')], { field: 'Work Email' })[0]).toEqual({
			name: 'Work Email',
			what: 'Email Column',
			required: true,
		});
		const scim = {
			system: scimSystem({ action: 'delete', findBy: 'userName' }),
			baseUrl: 'https://scim.test',
			scopes: {},
		};
		expect(csvColumns([scim], { field: 'email' })).toEqual([
			{ name: 'email', what: 'Email Column', required: true },
		]);
	});
});
