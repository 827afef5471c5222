/**
 * Lets the first of a burst of reports through, then at most one per interval, each carrying how
 * many were held back since the one before: an outage that every request runs into becomes one
 * log line a minute instead of one per request.
 */
export type ReportThrottle = (report: (suppressed: number) => void) => void;

export function createReportThrottle(intervalMs: number, now: () => number = Date.now): ReportThrottle {
  let lastReportAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (report) => {
    const at = now();
    if (at - lastReportAt < intervalMs) {
      suppressed += 1;
      return;
    }
    lastReportAt = at;
    const held = suppressed;
    suppressed = 0;
    report(held);
  };
}
