/**
 * The quickstart's fine-tuning task: two consecutive sentences of a generated document, in their
 * order or swapped, written as the TSV files `albert finetune classify` reads.
 */
import { DataRng } from '../data/random.ts';
import { writeAtomic } from '../util/atomic-write.ts';

/** The labels of the fine-tuning task. */
export const ORDER_LABELS = ['ordered', 'swapped'] as const;

/**
 * The sentence-order task: one pair of consecutive sentences from each document (at most `limit`
 * pairs), kept in their order ("ordered") or swapped ("swapped") with equal chance. The label
 * depends on both sentences: each one alone is as likely to come first as second.
 */
export function sentenceOrderPairs(docs: string[][], limit: number, seed: number): { sentence1: string; sentence2: string; label: (typeof ORDER_LABELS)[number] }[] {
  const rng = new DataRng([seed >>> 0, 0x5eed0, 0x0de7, 7]);
  const pairs: { sentence1: string; sentence2: string; label: (typeof ORDER_LABELS)[number] }[] = [];
  for (const d of docs) {
    if (pairs.length === limit) break;
    if (d.length < 2) continue;
    const i = rng.below(d.length - 1);
    const swapped = rng.below(2) === 1;
    pairs.push(swapped ? { sentence1: d[i + 1], sentence2: d[i], label: 'swapped' } : { sentence1: d[i], sentence2: d[i + 1], label: 'ordered' });
  }
  return pairs;
}

export function writePairsTsv(path: string, pairs: ReturnType<typeof sentenceOrderPairs>): void {
  writeAtomic(path, `sentence1\tsentence2\tlabel\n${pairs.map((p) => `${p.sentence1}\t${p.sentence2}\t${p.label}\n`).join('')}`);
}
