/**
 * Bun closes an HTTP connection that has sent and received nothing for its `idleTimeout`, also while
 * the connection's request is still being answered (30 s unless set, Elysia's default). A request that takes longer
 * (a claim waiting on a slow reward backend, any request on a hung database until its deadline)
 * would then end in a reset connection instead of its answer, the 503 that tells the client to
 * retry. So the server's idle timeout is the longer of the keep-alive setting and the longest
 * request deadline plus a margin for writing that answer.
 */

/** Bun's upper bound for `idleTimeout`. */
export const MAX_HTTP_IDLE_SECONDS = 255;

const ANSWER_MARGIN_SECONDS = 5;

export function socketIdleTimeoutSeconds(keepAliveSeconds: number, longestDeadlineMs: number): number {
  const deadline = Math.ceil(longestDeadlineMs / 1000) + ANSWER_MARGIN_SECONDS;
  return Math.min(MAX_HTTP_IDLE_SECONDS, Math.max(keepAliveSeconds, deadline));
}
