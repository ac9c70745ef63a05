// Waiting in tests: every poll has a deadline, and running past it fails the test naming what it waited for.

/** Resolves with the first truthy value of `check` (polled every `everyMs`); rejects after `ms` naming `what`. */
export async function waitUntil<T>(what: string, check: () => T | Promise<T>, ms = 60_000, everyMs = 50): Promise<NonNullable<T>> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`waited ${ms / 1000} s for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
