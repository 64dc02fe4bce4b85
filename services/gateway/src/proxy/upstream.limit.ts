// Bounds concurrent decoded calls per upstream origin. Bun's fetch keeps a limited pool of idle sockets
// per process (64): beyond it, finished connections are closed and new ones opened, so a merge endpoint
// under load would reconnect for most requests. Waiting for a pooled socket is cheaper than a new TCP
// handshake, and keeps the backend's connection count flat.

interface Gate {
  active: number;
  waiting: (() => void)[];
}

/** A per-origin concurrency gate; `limit` <= 0 disables it. */
export class UpstreamLimit {
  private readonly gates = new Map<string, Gate>();
  constructor(readonly limit: number) {}

  /** Resolves when a slot for `origin` is free; rejects when `signal` aborts first. Null: no wait needed. */
  acquire(origin: string, signal: AbortSignal): Promise<void> | null {
    if (this.limit <= 0) return null;
    let gate = this.gates.get(origin);
    if (!gate) {
      gate = { active: 0, waiting: [] };
      this.gates.set(origin, gate);
    }
    if (gate.active < this.limit) {
      gate.active++;
      return null;
    }
    const g = gate;
    return new Promise((resolve, reject) => {
      const go = () => {
        signal.removeEventListener("abort", abort);
        g.active++;
        resolve();
      };
      const abort = () => {
        const i = g.waiting.indexOf(go);
        if (i >= 0) g.waiting.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", abort, { once: true });
      g.waiting.push(go);
    });
  }

  /** Frees a slot taken by `acquire`. */
  release(origin: string): void {
    if (this.limit <= 0) return;
    const gate = this.gates.get(origin);
    if (!gate) return;
    gate.active--;
    gate.waiting.shift()?.();
  }
}
