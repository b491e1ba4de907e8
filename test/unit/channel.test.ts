import { Channel } from '../../src/engine/channel';

describe('Channel', () => {
	it('holds a producer at the high-water mark and lets it go as the consumer reads', async () => {
		const channel = new Channel<number>(3);
		const waited: number[] = [];
		const producer = (async () => {
			for (let i = 1; i <= 10; i++) {
				if ((channel as unknown as { buffer: number[] }).buffer.length >= 3) waited.push(i);
				await channel.roomFor();
				channel.push(i);
			}
			channel.close();
		})();
		await new Promise((resolve) => setImmediate(resolve));
		expect((channel as unknown as { buffer: number[] }).buffer).toEqual([1, 2, 3]);
		const read: number[] = [];
		for await (const value of channel) {
			read.push(value);
			await new Promise((resolve) => setImmediate(resolve)); // a slow consumer
		}
		await producer;
		expect(read).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
		expect(waited.length).toBeGreaterThan(0);
	});

	it('delivers a failure to the reader', async () => {
		const channel = new Channel<number>();
		channel.push(1);
		channel.fail(new Error('boom'));
		await expect(
			(async () => {
				for await (const _ of channel) void _;
			})(),
		).rejects.toThrow('boom');
	});
});
