/**
 * Feeds for running a compiled model without a dataset: parameters from their initialisers,
 * token ids, masks and labels drawn from a seeded generator with the right ranges. Used by
 * `albert run` (smoke runs and timings) and by benchmarks.
 */
import * as ort from './ort.ts';
import { OptionError, UserError } from '../../util/errors.ts';
import type { Manifest, ManifestTensor } from '../../compile.ts';
import { InitRng, initialValues } from '../../model/init.ts';

export interface SyntheticSizes {
  batchSize: number;
  seqLength: number;
  seed?: number;
}

export function syntheticFeeds(manifest: Manifest, sizes: SyntheticSizes): Record<string, ort.Tensor> {
  const { batchSize: B, seqLength: S } = sizes;
  const cfg = manifest.config;
  if (S > cfg.maxPositionEmbeddings) throw new OptionError(`{seqLength} ${S} exceeds max_position_embeddings ${cfg.maxPositionEmbeddings}`);
  const rng = new InitRng(sizes.seed ?? 1);
  const feeds: Record<string, ort.Tensor> = {};
  const params = new Map(manifest.parameters.map((p) => [p.input, p]));
  for (const t of manifest.inputs) {
    const shape = t.shape.map((d) => resolve(d, B, S, t));
    const n = shape.reduce((a, b) => a * b, 1);
    const ints = (max: number, f?: (i: number) => number): Int32Array => Int32Array.from({ length: n }, (_, i) => (f ? f(i) : Math.floor(rng.uniform() * max)));
    const p = params.get(t.name);
    let data: Float32Array | Int32Array;
    if (p) {
      const isGamma = t.name.endsWith('/gamma');
      data = initialValues(isGamma ? { kind: 'ones' } : t.name.endsWith('bias') || t.name.endsWith('/beta') ? { kind: 'zeros' } : { kind: 'truncated_normal', stddev: cfg.initializerRange }, n, rng);
    } else {
      const last = shape[shape.length - 1] ?? 1;
      switch (t.name) {
        case 'input_ids':
        case 'masked_lm_ids':
          data = ints(cfg.vocabSize);
          break;
        case 'input_mask':
          data = ints(2, () => 1);
          break;
        case 'segment_ids':
          data = ints(2, (i) => (i % last >= last / 2 ? 1 : 0));
          break;
        case 'masked_lm_positions':
          data = ints(S);
          break;
        case 'masked_lm_weights':
          data = Float32Array.from({ length: n }, () => 1);
          break;
        case 'next_sentence_labels':
          data = ints(2);
          break;
        case 'label_ids':
          data = t.dtype === 'float32' ? Float32Array.from({ length: n }, () => rng.uniform() * 5) : ints(labelCount(manifest));
          break;
        case 'start_positions':
        case 'end_positions':
          data = ints(S);
          break;
        case 'is_impossible':
          data = Float32Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0));
          break;
        case 'p_mask':
          data = Float32Array.from({ length: n }, (_, i) => (i % S === 0 ? 1 : 0));
          break;
        case 'dropout_seed':
          data = Int32Array.of(sizes.seed ?? 1);
          break;
        case 'dropout_step':
          data = Int32Array.of(0);
          break;
        default: {
          const state = trainingStateFeed(manifest, t.name, n, B);
          if (!state) throw new UserError(`manifest input "${t.name}": no synthetic data rule for it`);
          data = state;
        }
      }
    }
    feeds[t.name] = new ort.Tensor(t.dtype === 'float32' ? 'float32' : 'int32', data, shape);
  }
  return feeds;
}

/**
 * The optimizer state and step scalars of a --mode train graph: a fresh run's (zero slots, step
 * 0), with warmup off and a small learning rate so one run updates the parameters; with
 * accumulation, micro-step 0 and totals that describe K such batches.
 */
function trainingStateFeed(m: Manifest, name: string, n: number, B: number): Float32Array | Int32Array | null {
  if (!m.training) return null;
  if (/\/(adam_m|adam_v|grad_acc)$/.test(name)) return new Float32Array(n);
  const K = m.training.accumulation?.steps ?? 1;
  const P = m.inputs.find((i) => i.name === 'masked_lm_weights')?.shape[1];
  switch (name) {
    case 'global_step':
    case 'num_warmup_steps':
    case 'micro_step':
      return Int32Array.of(0);
    case 'num_train_steps':
      return Int32Array.of(1000);
    case 'learning_rate':
      return Float32Array.of(1e-4);
    case 'accum_examples':
      return Int32Array.of(K * B);
    case 'accum_masked_lm_weight':
      // masked_lm_weights are all ones above.
      return typeof P === 'number' ? Float32Array.of(K * B * P) : null;
    default:
      return null;
  }
}

function labelCount(m: Manifest): number {
  const logits = m.outputs.find((o) => o.name === 'logits');
  const w = m.parameters.find((p) => p.input === 'output_weights');
  if (m.head === 'multiple-choice') return typeof logits?.shape[1] === 'number' ? logits.shape[1] : 4;
  return w ? w.shape[0] : 2;
}

function resolve(d: number | string, B: number, S: number, t: ManifestTensor): number {
  if (typeof d === 'number') return d;
  if (d === 'batch') return B;
  if (d === 'seq') return S;
  throw new UserError(`manifest input "${t.name}" has dim "${d}" that synthetic feeds cannot size`);
}
