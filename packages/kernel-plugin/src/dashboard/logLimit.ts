import { escapeControl } from '@igpg/core';

// A client can send bad messages as fast as it likes; one log line each let a single probe write 74 lines of
// raw bytes (issue #16). Per source (a client socket, or the server), the first message of each interval is
// logged, escaped; the ones suppressed in between are counted into the next line.

interface SourceState { until: number; suppressed: number }

/**
 * A logger that writes at most one line per source per `intervalMs`, with control characters escaped.
 * @example const log = rateLimitedLog(console.error, 10_000); log(ws, `bad message ${raw}`);
 */
export function rateLimitedLog(write: (msg: string) => void, intervalMs: number): (source: object, msg: string) => void {
  const states = new WeakMap<object, SourceState>();
  return (source, msg) => {
    const now = Date.now();
    const s = states.get(source);
    if (s && now < s.until) {
      s.suppressed++;
      return;
    }
    const before = s?.suppressed ? ` (${s.suppressed} more from this client suppressed)` : '';
    states.set(source, { until: now + intervalMs, suppressed: 0 });
    write(escapeControl(msg) + before);
  };
}
