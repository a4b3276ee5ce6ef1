import { ShapeError } from '../ir/errors.ts';
import { dimSymbols, evalDim, type Dim } from '../ir/shape.ts';
import type { Figures } from './report.ts';

export interface FigureOptions {
  /** Batch size for the figures (default 8). */
  batchSize?: number;
  /** Sequence length for the figures (default 128). */
  seqLength?: number;
  /** Values for other symbols, by name (they win over every guess). */
  dims?: Record<string, number>;
}

export const DEFAULT_BATCH = 8;
export const DEFAULT_SEQ = 128;

/**
 * Gives symbolic dims values for the figures. batch and seq come from the options; other symbols
 * get a documented guess the first time they are met, and each guess is recorded so the report
 * can say what it assumed.
 */
export class DimBinding {
  readonly batchSize: number;
  readonly seqLength: number;
  private readonly given: Record<string, number>;
  private readonly values = new Map<string, number>();
  private readonly assumptions: string[] = [];

  constructor(opts: FigureOptions = {}) {
    this.batchSize = opts.batchSize ?? DEFAULT_BATCH;
    this.seqLength = opts.seqLength ?? DEFAULT_SEQ;
    this.given = opts.dims ?? {};
  }

  /** The value of one symbol (an opaque name such as "unk__3" from a foreign ONNX file included). */
  symbol(name: string): number {
    const known = this.values.get(name);
    if (known !== undefined) return known;
    const [value, why] = this.guess(name);
    this.values.set(name, value);
    this.assumptions.push(`${name} = ${value} (${why})`);
    return value;
  }

  private guess(name: string): [number, string] {
    if (Object.hasOwn(this.given, name)) return [this.given[name], 'given'];
    if (/^batch/i.test(name)) return [this.batchSize, 'batch size'];
    if (/^seq|sequence/i.test(name)) return [this.seqLength, 'sequence length'];
    if (/predictions/i.test(name)) {
      // BERT/ALBERT data generation masks 15% of tokens: 20 predictions for 128 tokens.
      return [Math.max(1, Math.ceil(0.15 * this.seqLength)), 'masked positions, 15% of the sequence length rounded up'];
    }
    if (/choice/i.test(name)) return [4, 'answer choices, as in RACE'];
    return [1, 'unknown symbol; pass --dim NAME=N to set it'];
  }

  /** Evaluates a dim; a string that is not a product of symbols is taken as one opaque symbol. */
  eval(d: Dim): number {
    if (typeof d === 'number') return d;
    let syms: string[];
    try {
      syms = dimSymbols(d);
    } catch (e) {
      if (e instanceof ShapeError) return this.symbol(d);
      throw e;
    }
    const env = new Map<string, number>();
    for (const s of syms) env.set(s, this.symbol(s));
    return evalDim(d, env);
  }

  numel(shape: readonly Dim[]): number {
    let n = 1;
    for (const d of shape) n *= this.eval(d);
    return n;
  }

  figures(): Figures {
    return {
      batchSize: this.batchSize,
      seqLength: this.seqLength,
      bindings: Object.fromEntries(this.values),
      assumptions: [...this.assumptions],
    };
  }
}
