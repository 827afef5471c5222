/** What the main process asks each generator process to run, and what generators report back. */
import type { OperationContext, OperationName } from './operations.ts';
import type { TallyData } from './tally.ts';

export interface StreamPlan {
  readonly name: string;
  /** Arrivals per second over all generators, or 'max' for a closed loop. */
  readonly rate: number | 'max';
  /** Operations in flight at most, over all generators; more arrivals are dropped. */
  readonly maxInFlight: number;
  readonly mix: readonly { readonly op: OperationName; readonly weight: number }[];
  /** An initialize wave over users 1…N: ends once every user was sent. */
  readonly waveUsers?: number;
}

export interface PhasePlan {
  readonly name: string;
  readonly durationS: number;
  /** Warm-up phases run like the others but stay out of the report. */
  readonly measured: boolean;
  readonly streams: readonly StreamPlan[];
}

export type ToGenerator = {
  readonly type: 'run';
  readonly phase: PhasePlan;
  readonly context: OperationContext;
  readonly startAt: number;
};

export type FromGenerator =
  | {
      readonly type: 'tick';
      readonly second: number;
      readonly cpuMs: number;
      readonly ops: Record<string, TallyData>;
    }
  | {
      readonly type: 'done';
      /** From the phase start until the last operation finished (redelivery not included). */
      readonly elapsedMs: number;
      readonly acknowledgedLogins: readonly (readonly [string, number])[];
      readonly redelivered: number;
      readonly undeliverable: number;
    };

/** This generator's share of a stream: rates and in-flight limits split evenly. */
export function shareOf(
  stream: StreamPlan,
  generators: number,
): { rate: number | 'max'; maxInFlight: number } {
  return {
    rate: stream.rate === 'max' ? 'max' : stream.rate / generators,
    maxInFlight: Math.max(1, Math.ceil(stream.maxInFlight / generators)),
  };
}

/** A stream of one operation; its name is the operation's. */
export function singleOperation(
  op: OperationName,
  rate: number | 'max',
  maxInFlight: number,
  waveUsers?: number,
): StreamPlan {
  return {
    name: op,
    rate,
    maxInFlight,
    mix: [{ op, weight: 1 }],
    ...(waveUsers === undefined ? {} : { waveUsers }),
  };
}
