import { openNodePanel } from './editor';
(async () => {
	const t = Date.now();
	const p = await openNodePanel({
		baseUrl: 'http://127.0.0.1:5690',
		email: 'owner@example.com',
		password: 'Offboarding-demo-1',
		workflowId: 'offboardingNightly',
		nodeName: 'Offboard Users',
		screenshot: '/work/main/test-artifacts/editor.png',
	});
	console.log(JSON.stringify(p, null, 1), Date.now() - t);
})();
