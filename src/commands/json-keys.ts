/**
 * What `--json` prints uses one key style, the original's outputs' (snake_case: global_step,
 * masked_lm_accuracy), whatever the library's result objects call their fields.
 */
import type { ProgressSink } from '../train/progress.ts';

export const snakeCase = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `obj` with its own keys in snake_case, and those of the objects under the paths named in
 * `nested` (the library's key names, dotted for deeper ones: 'finetune.settings'); an array
 * there has each of its objects converted. Only these: other keys below the top are data (op
 * types, parameter, metric and label names) and stay as they are.
 */
export function snakeKeys(obj: Record<string, unknown>, nested: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const below = nested.filter((p) => p.startsWith(`${k}.`)).map((p) => p.slice(k.length + 1));
    const inner = nested.includes(k) || below.length > 0;
    const convert = (x: unknown): unknown => (isRecord(x) ? snakeKeys(x, below) : x);
    out[snakeCase(k)] = !inner ? v : Array.isArray(v) ? v.map(convert) : convert(v);
  }
  return out;
}

/** A training run's sink whose summary event (the library's result fields) has snake_case keys, on stdout and in --metrics-file alike. */
export function snakeSummary(sink: ProgressSink): ProgressSink {
  // A proxy, not a copy of the methods: the sink's other members (the evaluation notice, the
  // interrupt settings) and any added later reach the loop unchanged.
  return new Proxy(sink, {
    get(target, prop) {
      if (prop === 'summary') return (lines: string[], data: Record<string, unknown>) => target.summary(lines, snakeKeys(data, ['settings', 'finalEval', 'best']));
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
