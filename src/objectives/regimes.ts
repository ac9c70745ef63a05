// The paper's four training regimes as points (α, β) of the adversarial objective family.

export interface Regime {
  name: string;
  label: string;
  alpha: number;
  beta: number;
}

export const REGIMES: Readonly<Record<string, Regime>> = {
  plain: { name: 'plain', label: 'Simple training', alpha: 1, beta: 0 },
  at: { name: 'at', label: 'AT (α = ½, β = 0)', alpha: 0.5, beta: 0 },
  a2t: { name: 'a2t', label: 'A2T (α = β = 1)', alpha: 1, beta: 1 },
  a3t: { name: 'a3t', label: 'A3T (α = ½, β = 1)', alpha: 0.5, beta: 1 },
};

/** The regime an (α, β) pair is, or a descriptive name for any other point. */
export function regimeName(alpha: number, beta: number): string {
  const r = Object.values(REGIMES).find((g) => g.alpha === alpha && g.beta === beta);
  return r ? r.name : `alpha${alpha}-beta${beta}`;
}
