/**
 * Each worker thread's JavaScript heap, as a gauge in the thread's own registry, which the main
 * thread merges into /metrics: it would otherwise show only the main thread's heap.
 */
import { Gauge, type Registry } from 'prom-client';

export type WorkerHeapGauge = Gauge<'thread'>;

export const createWorkerHeapGauge = (registers: Registry[]): WorkerHeapGauge =>
  new Gauge({
    name: 'challenge_worker_heap_used_bytes',
    help: "JavaScript heap in use in each worker thread (the main thread's is challenge_nodejs_heap_size_used_bytes)",
    labelNames: ['thread'],
    registers,
  });

/** Reads this thread's heap into the gauge. */
export const readWorkerHeap = (gauge: WorkerHeapGauge, thread: string): void =>
  void gauge.set({ thread }, process.memoryUsage().heapUsed);
