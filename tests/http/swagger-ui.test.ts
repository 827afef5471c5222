/**
 * The Swagger page in a real headless Chromium with every request outside loopback refused: the
 * page renders the operations from assets the service serves itself, and "Try it out" with a dev
 * token gets a 200 from GET /v1/challenges.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type Browser, chromium } from 'playwright-core';
import { createTestApp, devToken, type TestApp } from '../helpers/test-app.ts';

const CHROMIUM = '/usr/bin/chromium';
const LOOPBACK = new Set(['127.0.0.1', 'localhost']);

let app: TestApp;
let server: ReturnType<TestApp['listen']>;
let browser: Browser;

beforeAll(async () => {
  app = await createTestApp({ auth: 'dev' });
  server = app.listen();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
}, 20_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await app?.close();
});

test('works offline and executes GET /v1/challenges with a bearer token', async () => {
  const context = await browser.newContext();
  // Fail with the step that hung rather than at the test's own timeout.
  context.setDefaultTimeout(5_000);
  const refused: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (LOOPBACK.has(new URL(url).hostname)) return route.continue();
    refused.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await page.goto(`${server.baseUrl}/swagger`, { waitUntil: 'load' });
  expect(refused).toEqual([]);
  const operation = page.locator('#operations-challenges-getV1Challenges');
  await operation.waitFor({ state: 'visible', timeout: 10_000 });

  // Both security schemes are offered; the bearer one is filled in.
  await page.locator('.auth-wrapper .authorize').click();
  const dialog = page.locator('.dialog-ux');
  await dialog.waitFor({ state: 'visible' });
  const schemes = await dialog.locator('.auth-container h4').allTextContents();
  expect(schemes.map((text) => text.replace(/\s+/g, ' ').trim())).toEqual([
    'bearer (http, Bearer)',
    'mockUser (apiKey)',
    'accessToken (apiKey)',
    'mockAdmin (apiKey)',
  ]);
  expect(await dialog.textContent()).toContain('x-mock-user-id');
  const bearer = dialog.locator('.auth-container').filter({ hasText: 'bearer (http, Bearer)' });
  await bearer.locator('input').fill(await devToken('swagger-user'));
  await bearer.locator('button.authorize').click();
  await bearer.getByText('Authorized', { exact: true }).waitFor();
  await bearer.getByRole('button', { name: 'Close' }).click();

  await operation.locator('.opblock-summary').first().click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.getByRole('button', { name: 'Execute' }).click();
  const status = operation.locator('.live-responses-table tr.response .response-col_status');
  await status.waitFor({ state: 'visible', timeout: 10_000 });
  expect((await status.textContent())?.trim()).toBe('200');
  expect(
    await operation.locator('.live-responses-table tr.response .response-col_description').textContent(),
  ).toContain('"challengeId": "starter-challenge"');
  // The token the dialog took is what the page sent (dev auth would answer 401 without it).
  expect(await operation.locator('.curl-command').textContent()).toContain('Authorization: Bearer ');

  expect(refused).toEqual([]);
  expect(pageErrors).toEqual([]);
  await context.close();
}, 30_000);
