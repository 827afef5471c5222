/**
 * Tools for the event-pipeline failure tests: a throwaway challenge configuration, a bounded-concurrency
 * event stream that records every call's outcome, and small readers of what the database and the
 * service process hold.
 */

import { afterAll, expect } from 'bun:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../src/db/client.ts';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { type ServiceProcess, startServiceProcess } from './service-process.ts';
import { createTestDb } from './test-db.ts';

export interface ConfigGoal {
  readonly goalId: string;
  readonly type: 'absolute' | 'increment';
  readonly eventSource: 'login' | 'statistic';
  readonly statCode?: string;
  readonly targetValue: number;
}

/** Writes a one-challenge configuration with every goal assigned by default; returns its path. */
export function writeChallengeConfig(challengeId: string, goals: readonly ConfigGoal[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'challenge-config-')), 'challenges.json');
  const config = {
    challenges: [
      {
        challengeId,
        name: challengeId,
        goals: goals.map((goal) => ({
          goalId: goal.goalId,
          name: goal.goalId,
          type: goal.type,
          eventSource: goal.eventSource,
          defaultAssigned: true,
          requirement: {
            ...(goal.statCode === undefined ? {} : { statCode: goal.statCode }),
            operator: '>=',
            targetValue: goal.targetValue,
          },
          reward: { type: 'ITEM', rewardId: `${goal.goalId}-reward`, quantity: 1 },
          prerequisites: [],
        })),
      },
    ],
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** An increment goal on logins that never completes within a test: its progress counts applied events exactly. */
export const COUNTING_GOAL: ConfigGoal = {
  goalId: 'count-logins',
  type: 'increment',
  eventSource: 'login',
  targetValue: 1_000_000,
};

export interface CallOutcome {
  /** gRPC status code; 0 = OK. */
  readonly code: number;
  readonly ms: number;
  /** The gRPC status details of a failed call. */
  readonly details?: string;
}

/** The gRPC status of a rejected call (grpc-js ServiceError), or -1 when it is not one. */
export function grpcCode(error: unknown): number {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
    return error.code;
  }
  return -1;
}

export interface StreamOptions {
  readonly ids: readonly string[];
  readonly concurrency: number;
  readonly send: (id: string) => Promise<void>;
  /** Checked before each new call; once true, no further call starts (in-flight ones still settle). */
  readonly stopped?: () => boolean;
  /** Called after each call settles. */
  readonly onSettled?: (id: string, outcome: CallOutcome) => void;
}

export interface StreamResult {
  readonly outcomes: Map<string, CallOutcome>;
  /** Ids whose call returned OK. */
  readonly ok: Set<string>;
  /** Ids never sent because the stream was stopped. */
  readonly unsent: string[];
}

/** Sends `ids` with at most `concurrency` calls in flight; resolves when every started call settled. */
export async function streamEvents(options: StreamOptions): Promise<StreamResult> {
  const outcomes = new Map<string, CallOutcome>();
  const ok = new Set<string>();
  let next = 0;
  const lane = async () => {
    for (;;) {
      if (options.stopped?.()) return;
      const id = options.ids[next];
      if (id === undefined) return;
      next++;
      const started = performance.now();
      let code = 0;
      let details: string | undefined;
      try {
        await options.send(id);
        ok.add(id);
      } catch (error) {
        code = grpcCode(error);
        details = detailsOf(error);
      }
      const ms = performance.now() - started;
      const outcome: CallOutcome = details === undefined ? { code, ms } : { code, ms, details };
      outcomes.set(id, outcome);
      options.onSettled?.(id, outcome);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  return { outcomes, ok, unsent: options.ids.slice(next) };
}

function detailsOf(error: unknown): string {
  if (
    typeof error === 'object' &&
    error !== null &&
    'details' in error &&
    typeof error.details === 'string'
  ) {
    return error.details;
  }
  return String(error);
}

/** Counts outcomes by gRPC code. */
export function countCodes(outcomes: Iterable<CallOutcome>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const { code } of outcomes) counts.set(code, (counts.get(code) ?? 0) + 1);
  return counts;
}

/** Sum of one goal's progress over the given users. */
export async function totalProgress(db: Db, goalId: string, users: readonly string[]): Promise<number> {
  const rows = await db<{ total: string | null }[]>`
    select sum(progress)::text as total from user_goal_progress
    where goal_id = ${goalId} and user_id = any(${users}::text[])`;
  return Number(rows[0]?.total ?? 0);
}

/** The event ids recorded as processed among `ids`. */
export async function processedIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  const rows = await db<{ event_id: string }[]>`
    select event_id from processed_events where event_id = any(${ids}::text[])`;
  return new Set(rows.map((row) => row.event_id));
}

/** Resident memory of a process in bytes (Linux /proc). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Polls until `check` resolves true, or throws after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** POST /v1/challenges/initialize for each user (mock auth), asserting success. */
export async function initializeUsers(baseUrl: string, users: readonly string[]): Promise<void> {
  await Promise.all(
    users.map(async (user) => {
      const response = await fetch(`${baseUrl}/v1/challenges/initialize`, {
        method: 'POST',
        headers: { 'x-mock-user-id': user },
      });
      if (response.status !== 200) throw new Error(`initialize ${user}: HTTP ${response.status}`);
    }),
  );
}

/**
 * The service as a process with mock auth, two shards and the given challenge config, healthy on
 * return. `env` adds or overrides variables (e.g. BUN_OPTIONS for a test preload).
 */
export async function startEventService(options: {
  databaseUrl: string;
  namespace: string;
  configPath: string;
  grpcPort: number;
  env?: Record<string, string>;
}): Promise<ServiceProcess> {
  const service = await startServiceProcess({
    DATABASE_URL: options.databaseUrl,
    AUTH_MODE: 'mock',
    CHALLENGE_CONFIG_PATH: options.configPath,
    AB_NAMESPACE: options.namespace,
    GRPC_PORT: String(options.grpcPort),
    EVENT_SHARDS: '2',
    ...options.env,
  });
  try {
    await service.waitForHealthy();
  } catch (error) {
    await service.terminate('SIGKILL');
    throw error;
  }
  return service;
}

/**
 * A fresh test database and the event services a test file starts on it (see `startEventService`);
 * after the file, every service is killed and the database dropped.
 */
export async function useEventServices(namespace: string) {
  const db = await createTestDb();
  const started: ServiceProcess[] = [];
  afterAll(async () => {
    for (const service of started) await service.terminate('SIGKILL');
    await db.drop();
  });
  const start = async (options: {
    configPath: string;
    grpcPort: number;
    env?: Record<string, string>;
  }): Promise<ServiceProcess> => {
    const service = await startEventService({ databaseUrl: db.url, namespace, ...options });
    started.push(service);
    return service;
  };
  return {
    db,
    start,
    /** A service on a port of its own with one challenge of the counting goal, `users` initialised. */
    async startCounting(
      challengeId: string,
      users: readonly string[],
      env?: Record<string, string>,
    ): Promise<{ service: ServiceProcess; grpcPort: number }> {
      const grpcPort = await freePort();
      const service = await start({
        configPath: writeChallengeConfig(challengeId, [COUNTING_GOAL]),
        grpcPort,
        ...(env ? { env } : {}),
      });
      await initializeUsers(service.baseUrl, users);
      return { service, grpcPort };
    },
  };
}

const DEADLINE_EXCEEDED = 4;

/**
 * What every failure test checks at the end of a stream against the counting goal: each call ended
 * with an answer (no hang until the deadline, no transport error), every acknowledged event is
 * stored, and the goal counts exactly the stored events. Returns the stored ids.
 */
export async function expectNothingAcknowledgedLost(
  db: Db,
  stream: StreamResult,
  ids: readonly string[],
  users: readonly string[],
): Promise<Set<string>> {
  const codes = countCodes(stream.outcomes.values());
  expect(codes.get(DEADLINE_EXCEEDED)).toBeUndefined();
  expect(codes.get(-1)).toBeUndefined();
  const stored = await processedIds(db, ids);
  expect([...stream.ok].filter((id) => !stored.has(id))).toEqual([]);
  expect(await totalProgress(db, COUNTING_GOAL.goalId, users)).toBe(stored.size);
  return stored;
}
