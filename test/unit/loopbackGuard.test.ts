import { isLoopbackHost, loopbackViolations } from '../support/loopback-guard';

describe('the loopback guard', () => {
	it('accepts only 127.0.0.0/8 and localhost', () => {
		expect(
			['127.0.0.1', '127.255.0.9', 'localhost', '::ffff:127.0.0.1'].map(isLoopbackHost),
		).toEqual([true, true, true, true]);
		expect(
			['10.0.0.1', '192.0.2.1', 'example.com', '::1', '128.0.0.1', '127.0.0.256'].map(
				isLoopbackHost,
			),
		).toEqual([false, false, false, false, false, false]);
	});

	it('refuses a request to another host and records it', async () => {
		await expect(
			fetch('http://192.0.2.1/', { signal: AbortSignal.timeout(2000) }),
		).rejects.toThrow();
		expect(loopbackViolations()).toEqual(['192.0.2.1']);
		loopbackViolations().length = 0; // recorded on purpose; the file's own afterAll must stay green
	});
});
