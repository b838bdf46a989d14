// A circuit breaker shared by every request to the server: after
// `threshold` failures in a row it opens and requests wait (or fail fast)
// for `pauseMs`; then it half-opens and lets one trial through, whose
// outcome closes or reopens it.

export class CircuitBreaker {
  constructor({ threshold = 5, pauseMs = 15000, now = () => Date.now() } = {}) {
    this.threshold = threshold;
    this.pauseMs = pauseMs;
    this.now = now;
    this.failures = 0;
    this.openedAt = 0;
    this.trialInFlight = false;
    this.listeners = new Set();
    this.last = "closed";
  }

  /** "closed", "open" or "half-open". */
  state() {
    if (this.failures < this.threshold) return "closed";
    return this.now() - this.openedAt >= this.pauseMs ? "half-open" : "open";
  }

  /** Milliseconds until a request may go (0 when it may go now). */
  waitMs() {
    const s = this.state();
    if (s === "closed") return 0;
    if (s === "half-open") return this.trialInFlight ? 250 : 0;
    return this.pauseMs - (this.now() - this.openedAt);
  }

  /** Take the right to send one request now; false when it must wait. */
  acquire() {
    const s = this.state();
    if (s === "closed") return true;
    if (s === "half-open" && !this.trialInFlight) {
      this.trialInFlight = true;
      this.notify();
      return true;
    }
    return false;
  }

  success() {
    this.failures = 0;
    this.trialInFlight = false;
    this.notify();
  }

  failure() {
    this.trialInFlight = false;
    this.failures++;
    if (this.failures >= this.threshold) this.openedAt = this.now();
    this.notify();
  }

  /** fn(state) on every change; returns an unsubscribe function. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  notify() {
    const s = this.state();
    if (s === this.last) return;
    this.last = s;
    for (const fn of this.listeners) fn(s);
  }

  /** Re-check the state (the pause ends without any event). */
  tick() {
    this.notify();
  }
}
