/**
 * A textbook BM25, independent of SQLite: lower-cased letter/digit words, no
 * stemming, no stopword list, OR of the query words, k1 = 1.2, b = 0.75, one
 * index over every document of a set. The evaluation prints it beside every
 * mode as the floor keyword search must not fall below.
 */
const K1 = 1.2;
const B = 0.75;

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export class Bm25 {
  private readonly docs: Array<{ id: string; tf: Map<string, number>; length: number }> = [];
  private readonly df = new Map<string, number>();
  private avgLength = 0;

  constructor(documents: Array<{ id: string; text: string }>) {
    for (const { id, text } of documents) {
      const tf = new Map<string, number>();
      const words = tokenize(text);
      for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
      for (const w of tf.keys()) this.df.set(w, (this.df.get(w) ?? 0) + 1);
      this.docs.push({ id, tf, length: words.length });
      this.avgLength += words.length;
    }
    this.avgLength /= Math.max(1, this.docs.length);
  }

  /** Ids of the best `limit` documents with a positive score. */
  search(query: string, limit: number): string[] {
    const n = this.docs.length;
    const terms = [...new Set(tokenize(query))];
    const idf = new Map(terms.map((t) => {
      const df = this.df.get(t) ?? 0;
      return [t, Math.log(1 + (n - df + 0.5) / (df + 0.5))];
    }));
    const scored: Array<{ id: string; score: number }> = [];
    for (const doc of this.docs) {
      let score = 0;
      for (const t of terms) {
        const f = doc.tf.get(t);
        if (!f) continue;
        score += idf.get(t)! * ((f * (K1 + 1)) / (f + K1 * (1 - B + (B * doc.length) / this.avgLength)));
      }
      if (score > 0) scored.push({ id: doc.id, score });
    }
    return scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, limit).map((s) => s.id);
  }
}
