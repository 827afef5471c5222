/**
 * Preloaded into a service process under test (BUN_OPTIONS="--preload <this file>"): on SIGUSR2 it
 * terminates the first shard worker thread, as if that thread had died, so a test can watch how the
 * process reacts. Threads cannot be killed from outside the process, and production code has no
 * hook for it; this file only observes `Worker.prototype.postMessage` to learn which workers are
 * shards (a shard's `connect` message carries exactly one port; the ingress's carries one per shard).
 */
import { isMainThread, Worker } from 'node:worker_threads';

if (isMainThread) {
  const shards: Worker[] = [];
  const original = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
    const [message] = args;
    if (isShardConnect(message) && !shards.includes(this)) shards.push(this);
    return original.apply(this, args);
  };
  process.on('SIGUSR2', () => {
    const [first] = shards;
    console.error(`kill-shard-preload: terminating the first of ${shards.length} shard workers`);
    void first?.terminate();
  });
}

function isShardConnect(message: unknown): boolean {
  if (typeof message !== 'object' || message === null) return false;
  if (!('type' in message) || message.type !== 'connect') return false;
  return 'ports' in message && Array.isArray(message.ports) && message.ports.length === 1;
}
