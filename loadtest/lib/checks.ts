/**
 * SPEC §10's targets as checks. Each is paired with the same figure measured on the bare stack in
 * the same run (the `ceiling` scenario), because absolute numbers drift on shared machines and
 * ratios do not.
 */
import type { Check } from './report.ts';
import type { OperationResult } from './run-phase.ts';

/** What the `ceiling` scenario measures, by key. */
export const CEILING_NAMES = {
  grpcMaxRate: 'empty grpc-js OnMessage handler, calls/s (closed loop)',
  grpcP99AtEps: 'empty grpc-js handler, p99 ms at the events rate',
  grpcP95At500: 'empty grpc-js handler, p95 ms at 500 calls/s',
  httpMaxRate: 'static Elysia 500-goal list, requests/s (closed loop)',
  httpP99AtRps: 'static Elysia 500-goal list, p99 ms at the API rate',
  httpP95At300: 'static Elysia small answer, p95 ms at 300 requests/s',
  pgUpsertRows: 'PostgreSQL UNNEST upsert, rows/s',
} as const;
export type CeilingKey = keyof typeof CEILING_NAMES;
export type Ceilings = Partial<Record<CeilingKey, number>>;

const fmtRate = (value: number) => `${value.toFixed(0)}/s`;
const fmtMs = (value: number) =>
  Number.isFinite(value) ? `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms` : '–';

/** A rate target: reached when achieved ≥ required and no arrivals were dropped. */
export function rateCheck(
  name: string,
  required: number,
  op: OperationResult | undefined,
  ceiling?: number,
): Check {
  const achieved = op?.achievedRate ?? 0;
  return {
    name,
    target: `≥ ${fmtRate(required)}`,
    measured: `${fmtRate(achieved)}${op?.dropped ? ` (${op.dropped} dropped)` : ''}`,
    pass: achieved >= required * 0.99 && (op?.dropped ?? 0) === 0,
    ceiling: ceiling === undefined ? undefined : fmtRate(ceiling),
    ratio: ceiling ? achieved / ceiling : undefined,
  };
}

/** A latency target at a rate: only met if the rate was actually offered and served. */
export function latencyCheck(
  name: string,
  quantile: 'p95' | 'p99',
  limitMs: number,
  op: OperationResult | undefined,
  ceilingMs?: number,
): Check {
  const measured = op?.latency[quantile] ?? Number.NaN;
  const served = op !== undefined && op.dropped === 0 && op.errors === 0;
  return {
    name,
    target: `${quantile} < ${limitMs} ms`,
    measured: `${fmtMs(measured)}${served ? '' : ' (with errors or drops)'}`,
    pass: served && measured < limitMs,
    ceiling: ceilingMs === undefined ? undefined : fmtMs(ceilingMs),
    ratio: ceilingMs !== undefined && measured > 0 ? ceilingMs / measured : undefined,
  };
}

export function countCheck(name: string, measured: number | undefined, what: string): Check {
  return {
    name,
    target: `0 ${what}`,
    measured: measured === undefined ? 'not measured' : `${measured} ${what}`,
    pass: measured === 0,
  };
}

export function memoryCheck(maxMb: number | undefined, limitMb = 300): Check {
  return {
    name: 'process RSS throughout',
    target: `< ${limitMb} MB`,
    measured: maxMb === undefined ? 'not measured (no service pid)' : `${maxMb.toFixed(0)} MB`,
    pass: maxMb !== undefined && maxMb < limitMb,
  };
}
