/**
 * Server-Sent Events framing (the WHATWG EventSource format). Every `data` the service sends is
 * one line of JSON (JSON text escapes newlines), so each event is a single `data:` line.
 */

export function sseEvent(event: string, data: string, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`;
}

/** A comment line: ignored by EventSource, but it keeps proxies from closing an idle stream. */
export const sseComment = (text: string): string => `: ${text}\n\n`;

/** How long EventSource waits before reconnecting after the stream ends. */
export const sseRetry = (ms: number): string => `retry: ${ms}\n\n`;
