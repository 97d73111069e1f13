/**
 * What `search()` uses when the caller gives no fusion settings, chosen by
 * `npm run eval` on two sets (docs/decisions.md, "Hybrid fusion"). The app's
 * search form starts from the same values.
 */
export const SEARCH_DEFAULTS = {
  fusion: 'weighted' as 'rrf' | 'weighted',
  weights: { text: 0.7, vector: 0.3 },
  rrfK: 60,
} as const;
