// The training regimes: the paper's four as points (α, β) of the adversarial family, and the baselines
// (PGD-AT, TRADES, A3T with PGD examples) in the same objective framework.

export interface Regime {
  name: string;
  label: string;
  alpha: number;
  beta: number;
  /** How the training examples are made (default FGSM, as the paper). */
  trainAttack?: 'fgsm' | 'pgd';
  /** The objective (default the (α, β) family). */
  objective?: 'adversarial' | 'trades';
}

export const REGIMES: Readonly<Record<string, Regime>> = {
  plain: { name: 'plain', label: 'Simple training', alpha: 1, beta: 0 },
  at: { name: 'at', label: 'AT (α = ½, β = 0)', alpha: 0.5, beta: 0 },
  a2t: { name: 'a2t', label: 'A2T (α = β = 1)', alpha: 1, beta: 1 },
  a3t: { name: 'a3t', label: 'A3T (α = ½, β = 1)', alpha: 0.5, beta: 1 },
  'pgd-at': { name: 'pgd-at', label: 'PGD-AT (Madry et al.)', alpha: 0, beta: 0, trainAttack: 'pgd' },
  trades: { name: 'trades', label: 'TRADES', alpha: 1, beta: 0, objective: 'trades' },
  'a3t-pgd': { name: 'a3t-pgd', label: 'A3T with PGD examples', alpha: 0.5, beta: 1, trainAttack: 'pgd' },
};

/** The training settings a regime fixes. */
export const regimeSettings = (r: Regime) => ({ alpha: r.alpha, beta: r.beta, trainAttack: r.trainAttack ?? 'fgsm', objective: r.objective ?? 'adversarial' });

/** The regime a config is, or a descriptive name for any other point. */
export function regimeName(alpha: number, beta: number, trainAttack = 'fgsm', objective = 'adversarial'): string {
  const r = Object.values(REGIMES).find((g) => {
    const s = regimeSettings(g);
    return s.alpha === alpha && s.beta === beta && s.trainAttack === trainAttack && s.objective === objective;
  });
  if (r) return r.name;
  return objective === 'trades' ? 'trades' : `alpha${alpha}-beta${beta}${trainAttack === 'pgd' ? '-pgd' : ''}`;
}
