/**
 * The README's "Five-minute tour" runs as written against a started service, so the README cannot
 * silently rot. The service is started the way a newcomer would (dev auth, generated dev secret,
 * default challenge config) but isolated: its own database, DATA_DIR and ports. The tour's shell
 * block is only changed where the environment differs (`localhost:8000` → the test's HTTP port);
 * the CLI finds the secret and the gRPC port through DATA_DIR and GRPC_PORT.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { servicePort, startServiceProcess } from '../helpers/service-process.ts';
import { createTestDb } from '../helpers/test-db.ts';

const REPO_ROOT = resolve(import.meta.dir, '../..');
const TOUR_HEADING = '## Five-minute tour';
const MARKER = '### readme-walkthrough command';

const runDir = resolve(REPO_ROOT, `.data/e2e-readme-${process.pid}-${Date.now()}`);
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

/** The first ```sh block under `## Five-minute tour`, up to the next `## ` heading. */
function extractTourBlock(readme: string): string {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => line.trim() === TOUR_HEADING);
  if (start < 0) throw new Error(`README.md has no '${TOUR_HEADING}' heading: the walkthrough test needs it`);
  const sectionEnd = lines.findIndex((line, i) => i > start && /^##\s/.test(line));
  const section = lines.slice(start + 1, sectionEnd < 0 ? undefined : sectionEnd);
  const open = section.findIndex((line) => line.trim() === '```sh');
  if (open < 0) throw new Error(`README.md '${TOUR_HEADING}' section has no \`\`\`sh code block`);
  const close = section.findIndex((line, i) => i > open && line.trim() === '```');
  if (close < 0) throw new Error(`README.md '${TOUR_HEADING}' section: the \`\`\`sh block is not closed`);
  return section.slice(open + 1, close).join('\n');
}

interface ShellCommand {
  /** The command's text, continuation lines included. */
  readonly text: string;
  /** Index of its first line in the block. */
  readonly line: number;
}

/** Logical commands of a shell block: comments and blank lines skipped, `\\` continuations joined. */
function splitCommands(block: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let current: string[] = [];
  let first = 0;
  block.split('\n').forEach((line, i) => {
    if (current.length === 0 && (line.trim() === '' || line.trim().startsWith('#'))) return;
    if (current.length === 0) first = i;
    current.push(line);
    if (!line.trimEnd().endsWith('\\')) {
      commands.push({ text: current.join('\n'), line: first });
      current = [];
    }
  });
  if (current.length > 0) commands.push({ text: current.join('\n'), line: first });
  return commands;
}

/** The block as written (comments included) with a marker printed before each command. */
function withMarkers(block: string, commands: readonly ShellCommand[]): string {
  const starts = new Map(commands.map((command, i) => [command.line, i]));
  return block
    .split('\n')
    .flatMap((line, i) => {
      const n = starts.get(i);
      return n === undefined ? [line] : [`printf '\\n${MARKER} %d\\n' ${n}`, line];
    })
    .join('\n');
}

interface CommandOutput {
  readonly command: string;
  readonly stdout: string;
}

/** Splits the script's stdout at the markers printed before each command. */
function attribute(commands: readonly ShellCommand[], stdout: string): CommandOutput[] {
  const parts = stdout.split(new RegExp(`^${MARKER} (\\d+)$`, 'm'));
  const outputs: CommandOutput[] = [];
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const command = commands[Number(parts[i])]?.text;
    if (command === undefined) throw new Error(`unexpected marker ${parts[i]} in the script output`);
    outputs.push({ command, stdout: (parts[i + 1] ?? '').trim() });
  }
  return outputs;
}

function jsonLines(output: CommandOutput): Record<string, unknown>[] {
  return output.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not JSON from \`${output.command}\`: ${line}`);
      }
    });
}

function onlyJson(output: CommandOutput): Record<string, unknown> {
  const objects = jsonLines(output);
  if (objects.length !== 1 || objects[0] === undefined) {
    throw new Error(`expected one JSON object from \`${output.command}\`, got:\n${output.stdout}`);
  }
  return objects[0];
}

test('the README five-minute tour runs as written against a started service', async () => {
  const block = extractTourBlock(readFileSync(resolve(REPO_ROOT, 'README.md'), 'utf8'));
  const commands = splitCommands(block);
  expect(commands.length).toBeGreaterThan(0);

  const dataDir = resolve(runDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const grpcPort = await servicePort();
  const db = await createTestDb({ maxConnections: 1 });
  const service = await startServiceProcess({
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    GRPC_PORT: String(grpcPort),
    // Defaults, as for a newcomer: empty means unset to the service.
    AUTH_MODE: '',
    PLUGIN_GRPC_SERVER_AUTH_ENABLED: '',
    DEV_JWT_SECRET: '',
    AB_NAMESPACE: '',
    BASE_PATH: '',
    CHALLENGE_CONFIG_PATH: '',
    REWARD_MODE: '',
    REWARD_CLIENT_MODE: '',
  });
  try {
    await service.waitForHealthy(60_000);
    // startServiceProcess picks the HTTP port (a free one) and passes it as HTTP_PORT.
    const httpPort = new URL(service.baseUrl).port;

    // The block as written, with markers between commands; only the HTTP address is rewritten.
    const script = withMarkers(block, commands).replaceAll('localhost:8000', `localhost:${httpPort}`);
    const scriptPath = resolve(runDir, 'tour.sh');
    writeFileSync(scriptPath, `${script}\n`);

    // The CLI reads these from the environment exactly like the service does; anything else stays
    // at its default (a CLI with AB_NAMESPACE='' would send events for namespace '').
    const env: Record<string, string | undefined> = {
      ...process.env,
      HTTP_PORT: String(httpPort),
      GRPC_PORT: String(grpcPort),
      DATA_DIR: dataDir,
    };
    for (const name of ['DEV_JWT_SECRET', 'AUTH_MODE', 'AB_NAMESPACE', 'BASE_PATH']) delete env[name];

    const run = Bun.spawn(['bash', '-euo', 'pipefail', scriptPath], {
      cwd: REPO_ROOT,
      env,
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(run.stdout).text(),
      new Response(run.stderr).text(),
      run.exited,
    ]);
    const report = `tour exited ${exitCode}\n--- script\n${script}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
    if (exitCode !== 0) throw new Error(report);

    const outputs = attribute(commands, stdout);
    // Every command ran (a command that never printed its marker means bash stopped early).
    expect(outputs.map((output) => output.command)).toEqual(commands.map((command) => command.text));

    // Every curl answered JSON.
    const curls = outputs.filter((output) => /^\s*curl\s/.test(output.command));
    expect(curls.length).toBeGreaterThan(0);
    for (const curl of curls) onlyJson(curl);

    const initialize = curls.filter((output) => output.command.includes('/initialize'));
    expect(initialize).toHaveLength(1);
    for (const output of initialize) {
      const body = onlyJson(output);
      expect(typeof body['newAssignments']).toBe('number');
      expect(Number(body['newAssignments'])).toBeGreaterThan(0);
    }

    const activate = curls.filter((output) => output.command.includes('/active'));
    expect(activate).toHaveLength(1);
    for (const output of activate) expect(onlyJson(output)['message']).toBe('Goal activated successfully');

    const claims = curls.filter((output) => output.command.includes('/claim'));
    expect(claims.length).toBeGreaterThanOrEqual(2);
    const [firstClaim, lastClaim] = [claims[0], claims.at(-1)];
    if (firstClaim === undefined || lastClaim === undefined) throw new Error('no claim in the tour');
    expect({ command: firstClaim.command, body: onlyJson(firstClaim) }).toMatchObject({
      body: { error: 'GOAL_NOT_COMPLETED' },
    });
    expect({ command: lastClaim.command, body: onlyJson(lastClaim) }).toMatchObject({
      body: { status: 'claimed' },
    });
    expect(lastClaim.stdout).toContain('"status":"claimed"');

    const events = outputs.filter((output) => /\bcli event\b/.test(output.command));
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      const count = Number(/--count\s+(\d+)/.exec(event.command)?.[1] ?? '1');
      expect({ command: event.command, summary: event.stdout }).toMatchObject({
        summary: expect.stringMatching(new RegExp(`\\bsent=${count} ok=${count} failed=0\\b`)),
      });
    }
  } finally {
    await service.terminate('SIGTERM');
    await service.terminate('SIGKILL');
    await db.drop();
  }
}, 120_000);
