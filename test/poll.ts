// Waiting in tests: every poll has a deadline, and running past it fails the test naming what it waited for.

type Falsy = false | null | undefined | 0 | '';

/** Resolves with the first truthy value of `check` (polled every `everyMs`); rejects after `ms` naming `what`. */
export async function waitUntil<T>(what: string, check: () => T | Falsy | Promise<T | Falsy>, ms = 60_000, everyMs = 50): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`waited ${ms / 1000} s for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
