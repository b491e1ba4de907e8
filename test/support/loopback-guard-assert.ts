import { loopbackViolations } from './loopback-guard';

afterAll(() => {
	expect(loopbackViolations()).toEqual([]);
});
