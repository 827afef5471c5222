/**
 * Events as the ingress hands them to a shard (src/pipeline/pipeline-event.ts), for tests that call
 * the event flush directly.
 */
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';

let seq = 0;

export interface StatEventOptions {
  /** The platform's event id; a fresh one by default, '' for an event without one. */
  readonly id?: string;
  /** When it happened and arrived (now by default). */
  readonly at?: Date;
  readonly inc?: number;
}

export function statEvent(
  userId: string,
  statCode: string,
  value: number,
  options: StatEventOptions = {},
): PipelineEvent {
  const at = (options.at ?? new Date()).getTime();
  return {
    seq: ++seq,
    kind: 'statistic',
    id: options.id ?? `stat-${crypto.randomUUID()}`,
    userId,
    statCode,
    value,
    inc: options.inc ?? 0,
    receivedAt: at,
    occurredAt: at,
  };
}
