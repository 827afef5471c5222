/**
 * What crosses from the ingress worker to a shard worker: a validated event plus its call sequence
 * number, when it was received (bounds how long it may wait for the database) and when it happened
 * (what the progress rules count it at; see domain/event-time.ts). Times are epoch milliseconds.
 */
interface PipelineEnvelope {
  /**
   * Set for an event of another namespace: it reaches a shard only to be recorded in the audit
   * trail, never applied.
   */
  readonly foreignNamespace?: string;
}

export type PipelineEvent =
  | (PipelineEnvelope & {
      readonly seq: number;
      readonly kind: 'login';
      readonly id: string;
      readonly userId: string;
      readonly receivedAt: number;
      readonly occurredAt: number;
    })
  | (PipelineEnvelope & {
      readonly seq: number;
      readonly kind: 'statistic';
      readonly id: string;
      readonly userId: string;
      readonly statCode: string;
      readonly value: number;
      readonly inc: number;
      readonly receivedAt: number;
      readonly occurredAt: number;
    });

/** FNV-1a over the UTF-16 code units: stable across processes and releases, so a user always maps to one shard. */
export function shardOf(userId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
