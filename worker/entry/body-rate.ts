/**
 * The minimum-rate rule for request bodies: over any `windowMs` in which the server was waiting for
 * bytes, the client must have sent at least `minBytesPerSecond × windowMs / 1000` of them. Time the
 * server spends not reading (its own backpressure) starts a new window, so a slow database never cuts
 * off a client. A slow-but-steady upload passes; a client dripping a byte every few seconds does not.
 */
export class BodyRateMeter {
  private samples: { at: number; bytes: number }[] = [];

  constructor(
    private readonly minBytesPerSecond: number,
    private readonly windowMs: number,
  ) {}

  /** Records the bytes received so far at `now`; true when the body has been too slow over a whole window. */
  tooSlow(now: number, bytesReceived: number, serverWaiting: boolean): boolean {
    if (!serverWaiting) {
      this.samples = [];
      return false;
    }
    this.samples.push({ at: now, bytes: bytesReceived });
    const first = this.samples[0];
    if (now - first.at < this.windowMs) return false;
    // Keep the newest sample at least one window old as the reference point.
    while (this.samples.length > 1 && now - this.samples[1].at >= this.windowMs) this.samples.shift();
    const reference = this.samples[0];
    const needed = (this.minBytesPerSecond * (now - reference.at)) / 1000;
    return bytesReceived - reference.bytes < needed;
  }
}
