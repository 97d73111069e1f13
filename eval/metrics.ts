/** Graded retrieval metrics over a ranked list of document ids. */

/** nDCG@k with gain 2^rel - 1 and log2(rank + 1) discount; the ideal ranking uses every judged document. */
export function ndcg(ranked: string[], rel: Record<string, number>, k = 10): number {
  const gain = (g: number) => 2 ** g - 1;
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => {
    dcg += gain(rel[id] ?? 0) / Math.log2(i + 2);
  });
  const ideal = Object.values(rel)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, g, i) => sum + gain(g) / Math.log2(i + 2), 0);
  return ideal === 0 ? 0 : dcg / ideal;
}

/** Share of the judged-relevant documents (grade ≥ 1) found in the top k. */
export function recall(ranked: string[], rel: Record<string, number>, k = 10): number {
  const relevant = Object.entries(rel).filter(([, g]) => g > 0).map(([id]) => id);
  if (relevant.length === 0) return 0;
  const top = new Set(ranked.slice(0, k));
  return relevant.filter((id) => top.has(id)).length / relevant.length;
}

export function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
