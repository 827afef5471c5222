/**
 * Change notices (db/change-notices.ts) by outcome, counted in every thread that sends them (the
 * main thread and each shard) and summed into one series per outcome on /metrics. Refused or
 * dropped notices mean listeners elsewhere (live streams, webhook deliverers) learn of changes late.
 */
import { Counter, type Registry } from 'prom-client';
import type { ChangeNoticeOutcome } from './db/change-notices.ts';

export type ChangeNoticeCounter = Counter<'outcome'>;

export const createChangeNoticeCounter = (registers: Registry[]): ChangeNoticeCounter =>
  new Counter({
    name: 'challenge_change_notices_total',
    help: 'Notices of committed changes to other replicas, by outcome: sent, refused (retried), dropped (queue full during an outage)',
    labelNames: ['outcome'],
    registers,
  });

/** The `onCount` of a change-notice sender that counts into `counter`. */
export const countChangeNotices =
  (counter: ChangeNoticeCounter) =>
  (outcome: ChangeNoticeOutcome, count: number): void =>
    counter.inc({ outcome }, count);
