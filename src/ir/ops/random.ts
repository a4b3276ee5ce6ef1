import { isFloat, isInteger, castScalar, type DType } from '../dtype.ts';
import { ShapeError, UserError } from '../errors.ts';
import { formatType, type Value } from '../graph.ts';
import { apply1, defineOp, type OpDef } from '../op.ts';
import { mulDims, numel } from '../shape.ts';
import { sizeOf } from '../tensor.ts';
import { mul } from './elementwise.ts';

// ---------------------------------------------------------------------------------------------
// A counter-based RNG for dropout. Each mask element is a pure function of (element index, seed,
// step, site), so a training step is reproducible from its inputs alone (exact resume), and the
// interpreter and onnxruntime give bit-identical masks. Everything is uint32 arithmetic that
// ONNX opset 17 runs on the CPU provider: Add and Mul (wrapping) and BitShift. There is no
// Xor/And/Or before opset 18, and a murmur3-style finalizer with '+' in place of '^' is nearly
// linear over Z/2^32 (its top input bits barely reach the output: the keep decision at rate 0.5
// had neighbour correlations of 30%). One quadratic step x * (2x + 1) (a permutation of
// Z/2^32) breaks that linearity; with it the avalanche matrix is as flat as the xor version's.

const M1 = 0x85ebca6b;
const M2 = 0xc2b2ae35;
const SITE_OFFSET = 0x9e3779b9;
const STEP_MUL = 0x27d4eb2f;
const ADD_KEY_OFFSET = 0x165667b1;
const MIX_STEPS: readonly MixStep[] = [
  { kind: 'mul', c: M1 },
  { kind: 'addShr', k: 16 },
  { kind: 'square' },
  { kind: 'addShr', k: 15 },
  { kind: 'mul', c: M2 },
  { kind: 'addShr', k: 16 },
];

export type MixStep = { kind: 'mul'; c: number } | { kind: 'addShr'; k: number } | { kind: 'square' };

/** The mixer, in exact uint32 arithmetic. A backend's lowering emits the same MIX_STEPS. */
function mix(x: number): number {
  for (const s of MIX_STEPS) {
    if (s.kind === 'mul') x = Math.imul(x, s.c) >>> 0;
    else if (s.kind === 'addShr') x = (x + (x >>> s.k)) >>> 0;
    else x = Math.imul(x, (2 * x + 1) >>> 0) >>> 0;
  }
  return x;
}

/**
 * Per-(seed, step, site) keys, mixed in stages so that nearby seeds, steps and sites give
 * unrelated keys. The element hash is mix(index * mulKey + addKey): with a fixed multiplier G,
 * index * G + key would make any two keys' streams shifted copies of each other (often within a
 * few million elements, with 32-bit keys); a key-dependent odd multiplier rules that out unless
 * the multipliers themselves collide.
 */
function streamKeys(seed: number, step: number, site: number): { mulKey: number; addKey: number } {
  const s1 = mix((seed + siteKey(site)) >>> 0);
  const s2 = mix((s1 + Math.imul(step, STEP_MUL)) >>> 0);
  return { mulKey: (2 * s2 + 1) >>> 0, addKey: mix((s2 + ADD_KEY_OFFSET) >>> 0) };
}

function siteKey(site: number): number {
  return mix((site + SITE_OFFSET) >>> 0);
}

/** Keep when the top 24 bits u of the hash satisfy u / 2^24 >= rate, i.e. u >= ceil(rate * 2^24). */
function keepThreshold(rate: number): number {
  return Math.ceil(rate * 2 ** 24);
}

/**
 * The keep decisions (1 = keep) for n elements: the reference the DropoutMask op evaluates and
 * a backend's lowering reproduces. Seed and step are read as uint32 (negative values wrap).
 */
export function dropoutKeepMask(n: number, seed: number, step: number, rate: number, site: number): Uint8Array {
  const { mulKey, addKey } = streamKeys(seed >>> 0, step >>> 0, site);
  const t = keepThreshold(rate);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = mix((Math.imul(i, mulKey) + addKey) >>> 0) >>> 8 >= t ? 1 : 0;
  return out;
}

/**
 * The hash's definition for a backend that computes the mask itself and must reproduce
 * dropoutKeepMask bit for bit: the mixer's steps, the key schedule's constants (as in
 * streamKeys), the per-site key and the keep threshold.
 */
export const DROPOUT_HASH = {
  mixSteps: MIX_STEPS,
  stepMul: STEP_MUL,
  addKeyOffset: ADD_KEY_OFFSET,
  siteKey,
  keepThreshold,
} as const;

export interface DropoutMaskAttrs {
  /** Probability of dropping an element, in [0, 1). */
  rate: number;
  /** Distinguishes dropout sites within one step (embeddings, each layer's attention, ...). */
  site: number;
  /** The mask's (float) dtype. */
  dtype: DType;
}

function checkAttrs(at: DropoutMaskAttrs, what: () => string): void {
  if (!(at.rate >= 0 && at.rate < 1)) throw new UserError(`${what()}: rate must be in [0, 1), got ${at.rate}`);
  if (!Number.isInteger(at.site) || at.site < 0 || at.site >= 2 ** 32) throw new UserError(`${what()}: site must be an integer in [0, 2^32), got ${at.site}`);
  if (!isFloat(at.dtype)) throw new ShapeError(`${what()}: mask dtype ${at.dtype} is not a float type`);
}

/**
 * The inverted-dropout mask for a tensor shaped like `like`: 0 where dropped, 1/(1-rate) where
 * kept. Inputs: like (only its shape is read), seed and step (integer scalars).
 */
export const DropoutMask: OpDef<DropoutMaskAttrs> = defineOp<DropoutMaskAttrs>({
  name: 'DropoutMask',
  infer: (ins, at) => {
    const what = (): string => `DropoutMask{rate=${at.rate}, site=${at.site}}(${ins.map(formatType).join(', ')})`;
    if (ins.length !== 3) throw new ShapeError(`DropoutMask takes 3 inputs (like, seed, step), got ${ins.length}`);
    const [like, seed, step] = ins;
    for (const [name, t] of [['seed', seed], ['step', step]] as const) {
      if (!isInteger(t.dtype) || t.shape.length !== 0) throw new ShapeError(`${what()}: ${name} must be an integer scalar`);
    }
    checkAttrs(at, what);
    return [{ dtype: at.dtype, shape: [...like.shape] }];
  },
  evaluate: ([like, seed, step], at) => {
    const n = sizeOf(like.shape);
    const keep = dropoutKeepMask(n, seed.data[0], step.data[0], at.rate, at.site);
    const scale = castScalar(1 / (1 - at.rate), at.dtype);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = keep[i] ? scale : 0;
    return [{ dtype: at.dtype, shape: [...like.shape], data: out }];
  },
  // The mask is constant in `like`'s values, and seed/step are integers.
  vjp: () => [null, null, null],
  flops: (n) => mulDims(20, numel(n.outputs[0].shape)),
});

export function dropoutMask(like: Value, seed: Value, step: Value, rate: number, site: number, dtype: DType = like.dtype): Value {
  return apply1(DropoutMask, [like, seed, step], { rate, site, dtype });
}

/** What a dropout site needs from the step: the run's seed and the step counter (int scalars). */
export interface DropoutRng {
  seed: Value;
  step: Value;
}

/**
 * Inverted dropout: x * mask, with kept values scaled by 1/(1-rate). The gradient flows
 * through the Mul only (the mask is constant in x). `site` must differ between the dropout
 * calls of one step so that their masks are independent.
 */
export function dropout(x: Value, rate: number, rng: DropoutRng, site: number): Value {
  if (!isFloat(x.dtype)) throw new ShapeError(`dropout(${formatType(x.type)}): input must be a float tensor`);
  checkAttrs({ rate, site, dtype: x.dtype }, () => `dropout(${formatType(x.type)})`);
  if (rate === 0) return x;
  return mul(x, dropoutMask(x, rng.seed, rng.step, rate, site));
}
