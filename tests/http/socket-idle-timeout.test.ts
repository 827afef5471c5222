import { expect, test } from 'bun:test';
import { MAX_HTTP_IDLE_SECONDS, socketIdleTimeoutSeconds } from '../../src/http/socket-idle-timeout.ts';

test('the idle timeout outlasts the longest request deadline, within what Bun accepts', () => {
  // The keep-alive setting when it is the longer.
  expect(socketIdleTimeoutSeconds(75, 20_000)).toBe(75);
  // A deadline past it: the deadline, rounded up, plus the margin for writing the answer.
  expect(socketIdleTimeoutSeconds(1, 2_500)).toBe(8);
  expect(socketIdleTimeoutSeconds(75, 240_000)).toBe(245);
  expect(socketIdleTimeoutSeconds(75, 600_000)).toBe(MAX_HTTP_IDLE_SECONDS);
});
