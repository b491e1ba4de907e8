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
	/** Every parameter label the node's panel shows, in order (credential selectors first). */
	labels: string[];
	/** The credential selectors' labels and the credential each has chosen. */
	credentials: Array<{ label: string; value: string }>;
	/** What the first credential selector offers when opened (its own type's credentials). */
	firstCredentialOptions: string[];
}

/** What labelAbove needs of a DOM element (this project compiles without the DOM library). */
interface PageElement {
	querySelector(selector: string): { textContent: string | null } | null;
	parentElement: PageElement | null;
}

/** The text of the nearest label around an element (runs in the page). */
function labelAbove(element: PageElement): string | null {
	let node: PageElement | null = element;
	while (node) {
		const label = node.querySelector('label');
		if (label?.textContent) return label.textContent.trim();
		node = node.parentElement;
	}
	return null;
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
		const labels = (await ndv.locator('label').allInnerTexts())
			.map((text) => text.split('\n')[0].trim())
			.filter(Boolean);
		const selectors_ = ndv.getByTestId('node-credentials-select');
		const credentials: NodePanel['credentials'] = [];
		for (let i = 0; i < (await selectors_.count()); i++) {
			const selector = selectors_.nth(i);
			credentials.push({
				label: (await selector.evaluate(labelAbove as (element: unknown) => string | null)) ?? '',
				value: await selector.locator('input').first().inputValue(),
			});
		}
		await selectors_.first().click();
		const dropdown = page.locator('.el-select-dropdown:visible').last();
		await dropdown.waitFor();
		const firstCredentialOptions = (await dropdown.locator('li').allInnerTexts())
			.map((text) => text.trim())
			.filter(Boolean);
		await page.keyboard.press('Escape');
		return { labels, credentials, firstCredentialOptions };
	} finally {
		await context.close();
		rmSync(profile, { recursive: true, force: true });
	}
}
