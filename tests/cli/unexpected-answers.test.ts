/**
 * What the CLI does with answers a real service does not give: a 2xx body that is not the expected
 * JSON, no answer in time. Also that ids from the command line stay one path segment each.
 */
import { afterAll, expect, test } from 'bun:test';
import { runCli } from '../helpers/cli.ts';

const received: string[] = [];
const fake = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: async (request) => {
    const url = new URL(request.url);
    received.push(`${request.method} ${url.pathname}${url.search}`);
    if (url.pathname.startsWith('/html/')) return new Response('<html>a proxy page</html>');
    if (url.pathname.startsWith('/other/')) return Response.json({ something: 'else' });
    if (url.pathname.startsWith('/slow/')) await Bun.sleep(2_000);
    if (url.pathname.startsWith('/escapes/'))
      return Response.json(
        { error: 'GOAL_NOT_FOUND', message: 'no such goal\u001b[2J\u001b]0;owned\u0007' },
        { status: 404 },
      );
    return Response.json({ error: 'GOAL_NOT_FOUND', message: 'no such goal' }, { status: 404 });
  },
});
const base = `http://127.0.0.1:${fake.port}`;

afterAll(() => fake.stop(true));

test('a 2xx body that is not JSON, or not the expected JSON, exits 6 and quotes it', async () => {
  const html = await runCli(['initialize', '--url', `${base}/html`, '--mock-user', 'u']);
  expect(html.exitCode).toBe(6);
  expect(html.stderr).toBe(
    `error: unexpected answer from ${base}/html/v1/challenges/initialize (HTTP 200): <html>a proxy page</html>\n`,
  );

  const other = await runCli(['challenges', '--url', `${base}/other`, '--mock-user', 'u']);
  expect(other.exitCode).toBe(6);
  expect(other.stderr).toContain('(HTTP 200): {"something":"else"}');
  const raw = await runCli(['challenges', '--url', `${base}/other`, '--mock-user', 'u', '--json']);
  expect(raw.exitCode).toBe(0);
  expect(raw.stdout).toBe('{"something":"else"}\n');
}, 15_000);

test("control characters in the service's answers reach the terminal escaped, not as commands", async () => {
  const result = await runCli(['claim', 'c', 'g', '--url', `${base}/escapes`, '--mock-user', 'u']);
  expect(result.stderr).toContain('no such goal\\x1b[2J\\x1b]0;owned\\x07');
  expect(result.stderr).not.toContain('\u001b');
  const raw = await runCli(['claim', 'c', 'g', '--url', `${base}/escapes`, '--mock-user', 'u', '--json']);
  expect(raw.stdout + raw.stderr).not.toContain('\u001b');
}, 15_000);

test('no answer within --timeout-ms exits 3', async () => {
  const result = await runCli([
    'initialize',
    '--url',
    `${base}/slow`,
    '--mock-user',
    'u',
    '--timeout-ms',
    '200',
  ]);
  expect(result.exitCode).toBe(3);
  expect(result.stderr).toBe(
    `error: cannot reach the service at ${base}/slow (is it running?)\n  (no answer within 200 ms)\n`,
  );
}, 15_000);

test('ids with reserved characters are sent as one escaped path segment each', async () => {
  const result = await runCli(['claim', 'a/b', 'c?d #e', '--url', `${base}/nf/`, '--mock-user', 'u']);
  expect(result.exitCode).toBe(5);
  expect(result.stderr).toBe('error: GOAL_NOT_FOUND (HTTP 404): no such goal\n');
  expect(received).toContain('POST /nf/v1/challenges/a%2Fb/goals/c%3Fd%20%23e/claim');
}, 15_000);
