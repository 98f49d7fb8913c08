// One promise per key for the life of a provider process (a parsed CA, a client connection): every caller with
// the same key shares the first caller's work. No Pulumi in here.

/**
 * A cache of promises by key: `get` returns the one made for the key, or makes it. A promise that rejects is
 * forgotten, so the next caller tries again rather than inheriting a passing failure. With `keep`, only the newest
 * `keep` keys are kept (a process that meets many CAs holds only the last few).
 */
export class PromiseCache<T> {
  private readonly promises = new Map<string, Promise<T>>();

  constructor(private readonly keep = Number.POSITIVE_INFINITY) {}

  get(key: string, make: () => Promise<T>): Promise<T> {
    const cached = this.promises.get(key);
    if (cached) return cached;
    const made = make();
    this.promises.set(key, made);
    made.catch(() => {
      if (this.promises.get(key) === made) this.promises.delete(key);
    });
    if (this.promises.size > this.keep) this.promises.delete(this.promises.keys().next().value as string);
    return made;
  }

  values(): Promise<T>[] {
    return [...this.promises.values()];
  }

  clear(): void {
    this.promises.clear();
  }
}
