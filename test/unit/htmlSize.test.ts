/** The HTML report of a 100,000-row run stays a page, not a copy of the CSV (scripts/html-size.ts). */
import { measureHtmlReport } from '../../scripts/html-size';

describe('the HTML report of a 100,000-row run', () => {
	it('shows 200 of its 3,000 failures and every recorded second, in under 2 MB', () => {
		const size = measureHtmlReport();
		console.log(
			`HTML report, ${size.outcomes} outcomes, ${size.failures} failed, ${size.secondsRecorded} seconds recorded: ${size.bytes} bytes; counted in ${size.countMs} ms, rendered in ${size.renderMs} ms`,
		);
		expect(size).toMatchObject({ outcomes: 100_000, failures: 3_000, failureRowsShown: 200 });
		expect(size.bytes).toBeLessThan(2_000_000);
	});
});
