// Number formatting shared by reports, checks and progress lines.

/** A fraction as a percentage string: percent(0.9812) === '98.12%'. */
export function percent(x: number, digits = 2): string {
  if (!Number.isFinite(x)) throw new RangeError(`percent: value is ${x}, expected a finite number`);
  if (!Number.isInteger(digits) || digits < 0 || digits > 20) {
    throw new RangeError(`percent: digits is ${digits}, expected an integer in [0, 20]`);
  }
  // `+ 0` turns the -0 of a rounded tiny negative into 0, so no '-0.00%'.
  return `${(Number((x * 100).toFixed(digits)) + 0).toFixed(digits)}%`;
}
