import { describe, expect, it } from "vitest";
import { PromiseCache } from "./promise-cache";

describe("PromiseCache", () => {
  it("makes one promise per key and hands it to every caller", async () => {
    const cache = new PromiseCache<number>();
    let made = 0;
    const make = async () => ++made;
    const [a, b] = [cache.get("k", make), cache.get("k", make)];
    expect(a).toBe(b);
    expect(await a).toBe(1);
    expect(await cache.get("other", make)).toBe(2);
    expect(made).toBe(2);
  });

  it("forgets a promise that rejects, so the next caller tries again", async () => {
    const cache = new PromiseCache<string>();
    await expect(cache.get("k", () => Promise.reject(new Error("server not up yet")))).rejects.toThrow("server not up yet");
    expect(await cache.get("k", async () => "connected")).toBe("connected");
  });

  it("keeps only the newest `keep` keys", async () => {
    const cache = new PromiseCache<string>(2);
    for (const key of ["a", "b", "c"]) await cache.get(key, async () => `first ${key}`);
    expect(await cache.get("a", async () => "second a")).toBe("second a");
    expect(await cache.get("c", async () => "second c")).toBe("first c");
  });
});
