// consent.mjs -- a person at gridrest's OAuth2 consent page, in Debian's
// Chromium driven by playwright-core (no browser download): opens the
// authorization URL, logs in, picks the group, grants (or denies), and
// prints the URL the browser was sent back to. With a wrong password it
// prints the page's error text instead.
//
//   node consent.mjs AUTH_URL REDIRECT_URI USERNAME PASSWORD GROUP grant|deny
import { chromium } from 'playwright-core';

const [authUrl, redirect, user, password, group, action] = process.argv.slice(2);
const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update',
		'--disable-sync'],
});
try {
	const page = await browser.newPage();
	let landed = null;
	// the client's redirect URI is not reachable here: answer it in place
	await page.route(redirect + '**', (route) => {
		landed = route.request().url();
		route.fulfill({ status: 200, contentType: 'text/plain', body: 'client' });
	});
	const resp = await page.goto(authUrl);
	if (resp.status() !== 200)
		throw new Error(`consent page answered ${resp.status()}`);
	await page.fill('#username', user);
	await page.fill('#password', password);
	await page.fill('#group', group);
	await page.fill('#lifetime', '2');
	await Promise.all([
		page.waitForLoadState('load'),
		page.click(action === 'deny' ? '#deny' : '#grant'),
	]);
	for (let i = 0; i < 50 && landed === null; i++) {
		if (await page.locator('#error').count() > 0)
			break;
		await page.waitForTimeout(100);
	}
	if (landed !== null)
		console.log(landed);
	else
		console.log('error: ' + (await page.locator('#error').innerText()));
} finally {
	await browser.close();
}
