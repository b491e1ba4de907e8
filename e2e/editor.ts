/**
 * The n8n editor in headless Chromium (Debian's, driven by playwright-core): signs in, opens a
 * workflow, opens a node's panel, reads what it renders and saves a screenshot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, selectors } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface NodePanel {
	/** Every parameter label the node's panel shows, in order. */
	parameterLabels: string[];
	/** The credential selectors' labels, e.g. "Credential to connect with" per system. */
	credentialLabels: string[];
	/** The credential names chosen in the panel's credential selectors. */
	credentialValues: string[];
	/** The whole panel's visible text. */
	text: string;
}

export async function openNodePanel(options: {
	baseUrl: string;
	email: string;
	password: string;
	workflowId: string;
	nodeName: string;
	screenshot: string;
}): Promise<NodePanel> {
	selectors.setTestIdAttribute('data-test-id'); // n8n's attribute (N8N-E2E.md T11)
	const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		viewport: { width: 1440, height: 1000 },
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--no-first-run',
		],
	});
	try {
		const page = context.pages()[0] ?? (await context.newPage());
		page.setDefaultTimeout(60_000);
		await page.goto(`${options.baseUrl}/signin`);
		await page.locator('input[type="email"]').fill(options.email);
		await page.locator('input[type="password"]').fill(options.password);
		await page.getByTestId('form-submit-button').click();
		await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
		await page.goto(`${options.baseUrl}/workflow/${options.workflowId}`);
		const node = page.locator(`[data-test-id="canvas-node"][data-node-name="${options.nodeName}"]`);
		await node.waitFor();
		await node.dblclick();
		const ndv = page.getByTestId('ndv');
		await ndv.waitFor();
		await ndv.getByTestId('node-credentials-select').first().waitFor();
		await page.waitForTimeout(500); // let the panel finish its layout before the screenshot
		await page.screenshot({ path: options.screenshot });
		const parameterLabels = (
			await ndv.locator('[data-test-id="parameter-input"], .parameter-item label, label').allInnerTexts()
		)
			.map((t) => t.trim())
			.filter(Boolean);
		const credentials = ndv.getByTestId('node-credentials-select');
		const credentialValues: string[] = [];
		for (let i = 0; i < (await credentials.count()); i++) {
			credentialValues.push(
				(await credentials.nth(i).locator('input').first().inputValue().catch(() => '')) ||
					(await credentials.nth(i).innerText()).trim(),
			);
		}
		const credentialLabels = (
			await ndv.locator('[data-test-id="node-credentials-select"]').evaluateAll((els) =>
				els.map((el) => el.closest('[class*="credential"]')?.textContent?.trim() ?? ''),
			)
		).filter(Boolean);
		return { parameterLabels, credentialLabels, credentialValues, text: await ndv.innerText() };
	} finally {
		await context.close();
		rmSync(profile, { recursive: true, force: true });
	}
}
