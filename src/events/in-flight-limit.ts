/**
 * How many event calls may wait for their commit at once, across both event services and every
 * connection. Each waiting call holds its HTTP/2 stream, its grpc-js call and its event on the way
 * to and in a shard, so under overload the calls a platform keeps open are what the memory grows
 * with; beyond the limit a call is refused at once and redelivered by the platform later.
 */
export interface InFlightLimit {
  /** Takes a place; false when all are taken (the call must be refused, not queued). */
  tryEnter(): boolean;
  /** Gives back a place taken by `tryEnter`. */
  leave(): void;
  readonly inFlight: number;
}

export function createInFlightLimit(max: number): InFlightLimit {
  let inFlight = 0;
  return {
    tryEnter() {
      if (inFlight >= max) return false;
      inFlight++;
      return true;
    },
    leave() {
      inFlight--;
    },
    get inFlight() {
      return inFlight;
    },
  };
}
