// Progress on long work: a redrawn bar with rate and ETA on a terminal, plain periodic lines otherwise.

export interface ProgressLine {
  update(done: number, total: number, note: string): void;
  /** Print a line of its own (e.g. an epoch summary) without breaking the bar. */
  log(line: string): void;
  done(): void;
}

const clock = (s: number) => {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
};

export function progressLine(label: string, stream: NodeJS.WriteStream = process.stderr, everyMs = 10_000): ProgressLine {
  const tty = stream.isTTY === true;
  const start = performance.now();
  let last = 0;
  let shown = false;
  const render = (done: number, total: number, note: string) => {
    const elapsed = (performance.now() - start) / 1000;
    const frac = total > 0 ? done / total : 0;
    const eta = frac > 0 ? (elapsed * (1 - frac)) / frac : Infinity;
    const text = `${label} ${(100 * frac).toFixed(0).padStart(3)}% ${note} elapsed ${clock(elapsed)} ETA ${clock(eta)}`;
    if (!tty) return text;
    const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - text.length - 4));
    const fill = Math.round(frac * width);
    return `${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}]${text.slice(label.length)}`;
  };
  return {
    update(done, total, note) {
      const now = performance.now();
      if (tty) {
        if (now - last < 100 && done < total) return;
        stream.write(`\r${render(done, total, note)}\x1b[K`);
        shown = true;
      } else if (now - last >= everyMs || done === total) stream.write(`${render(done, total, note)}\n`);
      else return;
      last = now;
    },
    log(line) {
      if (tty && shown) stream.write('\r\x1b[K');
      stream.write(`${line}\n`);
      shown = false;
    },
    done() {
      if (tty && shown) stream.write('\n');
      shown = false;
    },
  };
}
