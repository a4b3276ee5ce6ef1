/**
 * Composite builders: softmax, layer norm, GELU, the classification losses. Softmax, layer norm
 * and GELU are composite ops with a decomposition; the losses are written in primitives.
 */
import { isFloat, isInteger } from './dtype.ts';
import { ShapeError, UserError } from './errors.ts';
import { formatType, type Value } from './graph.ts';
import {
  add,
  cast,
  div,
  exp,
  greaterOrEqual,
  log,
  maximum,
  mul,
  neg,
  relu,
  sub,
  tanh,
  where,
} from './ops/elementwise.ts';
import { oneHot } from './ops/one-hot.ts';
import { reduceMean, reduceSum } from './ops/reduce.ts';
import { geluOp } from './ops/gelu.ts';
import { layerNormOp } from './ops/layer-norm.ts';
import { logSoftmaxOp, softmaxOp } from './ops/softmax.ts';
import { canonDim, dimEq, formatShape, shapeEq } from './shape.ts';

// Dropout is an op with its RNG (ops/random.ts); re-exported so model code finds every
// building block here.

/** Added to sum(w) in the weighted cross-entropy, as the original masked-LM loss does. */
export const WEIGHTED_LOSS_EPSILON = 1e-5;

export { dropout, type DropoutRng } from './ops/random.ts';

function requireFloat(what: string, x: Value): void {
  if (!isFloat(x.dtype)) throw new ShapeError(`${what}(${formatType(x.type)}): input must be a float tensor`);
}

// Softmax, layer norm and GELU are composite ops (src/ir/ops/softmax.ts, layer-norm.ts,
// gelu.ts): one node each with its own VJP and a decomposition into primitives, so that a
// backend can emit a fused kernel or the primitives.

export function softmax(x: Value, axis = -1): Value {
  requireFloat('softmax', x);
  return softmaxOp(x, axis);
}

export function logSoftmax(x: Value, axis = -1): Value {
  requireFloat('logSoftmax', x);
  return logSoftmaxOp(x, axis);
}

/**
 * Layer normalisation over the last axis with the biased variance (mean of squared deviations),
 * as ALBERT's (and BERT's) LayerNorm: (x - mean) / sqrt(var + eps) * gamma + beta.
 */
export function layerNorm(x: Value, gamma: Value, beta: Value, eps = 1e-12): Value {
  const what = (): string => `layerNorm(${[x, gamma, beta].map((v) => formatType(v.type)).join(', ')})`;
  requireFloat('layerNorm', x);
  if (x.rank < 1) throw new ShapeError(`${what()}: input must have at least one axis`);
  const h = x.shape[x.rank - 1];
  for (const p of [gamma, beta]) {
    if (p.dtype !== x.dtype || p.rank !== 1 || !dimEq(p.shape[0], h)) {
      throw new ShapeError(`${what()}: gamma and beta must be ${x.dtype}[${canonDim(h)}]`);
    }
  }
  return layerNormOp(x, gamma, beta, eps).y;
}

/** GELU, tanh approximation: the original ALBERT "gelu" (HuggingFace's "gelu_new"). */
export function geluTanh(x: Value): Value {
  requireFloat('geluTanh', x);
  return geluOp(x, 'tanh');
}

/** GELU with erf: 0.5 x (1 + erf(x / sqrt 2)) (HuggingFace's "gelu"). */
export function geluExact(x: Value): Value {
  requireFloat('geluExact', x);
  return geluOp(x, 'none');
}

/** hidden_act names. "gelu" follows the original release (tanh form), not HuggingFace (erf). */
export type ActivationName = 'gelu' | 'gelu_new' | 'gelu_exact' | 'relu' | 'tanh';

export const ACTIVATION_NAMES: readonly ActivationName[] = ['gelu', 'gelu_new', 'gelu_exact', 'relu', 'tanh'];

export function activation(x: Value, name: ActivationName): Value {
  switch (name) {
    case 'gelu':
    case 'gelu_new':
      return geluTanh(x);
    case 'gelu_exact':
      return geluExact(x);
    case 'relu':
      return relu(x);
    case 'tanh':
      return tanh(x);
    default: {
      // Names come from config files at run time, whatever the type says.
      const unknown: string = name;
      throw new UserError(`activation "${unknown}" is not supported (expected one of ${ACTIVATION_NAMES.join(', ')})`);
    }
  }
}

/** A softmax cross-entropy and the parts it is made of, for metrics that read them. */
export interface CrossEntropy {
  /** The scalar loss. */
  loss: Value;
  /** The loss of each example (-log p(label)), shaped like the labels. */
  perExample: Value;
  /** log softmax(logits) over the class axis, shaped like the logits. */
  logProbs: Value;
  /** OneHot(labels) * logProbs, shaped like the logits: each label's log-probability at its class, 0 elsewhere. */
  picked: Value;
}

/** The weighted form: loss = numerator / denominator. */
export interface WeightedCrossEntropy extends CrossEntropy {
  /** sum(w * perExample). */
  numerator: Value;
  /** sum(w) + WEIGHTED_LOSS_EPSILON. */
  denominator: Value;
}

/** The name this type had when it held only the loss and perExample. */
export type Loss = CrossEntropy;

/** Mean over every element, dividing by the run-time count (reduceMean does, for symbolic dims too). */
function meanAll(x: Value): Value {
  return x.rank === 0 ? x : reduceMean(x);
}

/**
 * Softmax cross-entropy of logits [..., C] against integer labels [...] (C may be symbolic).
 * Labels outside [-C, C-1] pick nothing (their loss is 0); negative ones count from the end,
 * like OneHot.
 * Without weights the loss is the mean over examples; with weights [...] it is
 * sum(w * nll) / (sum(w) + 1e-5), ALBERT's masked-LM loss over padded prediction slots.
 * Returns the loss with its parts (log-probabilities, the labels' picks, and the weighted
 * form's numerator and denominator), so that metrics need not rebuild them.
 */
export function softmaxCrossEntropy(logits: Value, labels: Value): CrossEntropy;
export function softmaxCrossEntropy(logits: Value, labels: Value, opts: { weights: Value }): WeightedCrossEntropy;
export function softmaxCrossEntropy(logits: Value, labels: Value, opts?: { weights?: Value }): CrossEntropy | WeightedCrossEntropy;
export function softmaxCrossEntropy(logits: Value, labels: Value, opts: { weights?: Value } = {}): CrossEntropy | WeightedCrossEntropy {
  const { weights } = opts;
  const what = (): string =>
    `softmaxCrossEntropy(${[logits, labels, ...(weights ? [weights] : [])].map((v) => formatType(v.type)).join(', ')})`;
  if (!isFloat(logits.dtype) || logits.rank < 1) throw new ShapeError(`${what()}: logits must be a float tensor [..., classes]`);
  if (labels.dtype !== 'int32' && labels.dtype !== 'int64') throw new ShapeError(`${what()}: labels must be int32 or int64`);
  // The class dim may be symbolic: SQuAD's start/end logits are [batch, seq].
  const classes = logits.shape[logits.rank - 1];
  if (!shapeEq(labels.shape, logits.shape.slice(0, -1))) {
    throw new ShapeError(`${what()}: labels must have shape ${formatShape(logits.shape.slice(0, -1))}`);
  }
  const hot = oneHot(labels, classes, logits.dtype);
  const logProbs = logSoftmax(logits, -1);
  const picked = mul(hot, logProbs);
  const nll = neg(reduceSum(picked, [-1]));
  if (!weights) return { loss: meanAll(nll), perExample: nll, logProbs, picked };
  if (!isFloat(weights.dtype) || !shapeEq(weights.shape, labels.shape)) {
    throw new ShapeError(`${what()}: weights must be a float tensor shaped like the labels`);
  }
  const w = cast(weights, logits.dtype);
  const numerator = nll.rank === 0 ? mul(w, nll) : reduceSum(mul(w, nll));
  const count = nll.rank === 0 ? w : reduceSum(w);
  const denominator = add(count, WEIGHTED_LOSS_EPSILON);
  return { loss: div(numerator, denominator), perExample: nll, logProbs, picked, numerator, denominator };
}

/**
 * Binary cross-entropy of logits x against targets z in [0, 1] (same shape), in the form that
 * neither overflows nor loses the small tail: max(x, 0) - x z + log(1 + exp(-|x|)). Returns the
 * loss per element (callers average or weight it). Integer targets (0/1 labels) are cast to the
 * logits' dtype.
 */
export function sigmoidCrossEntropy(logits: Value, targets: Value): Value {
  const what = (): string => `sigmoidCrossEntropy(${formatType(logits.type)}, ${formatType(targets.type)})`;
  if (!isFloat(logits.dtype)) throw new ShapeError(`${what()}: logits must be a float tensor`);
  if (!isFloat(targets.dtype) && !isInteger(targets.dtype)) throw new ShapeError(`${what()}: targets must be numeric`);
  if (!shapeEq(logits.shape, targets.shape)) throw new ShapeError(`${what()}: logits and targets must have the same shape`);
  const z = cast(targets, logits.dtype);
  const absX = where(greaterOrEqual(logits, 0), logits, neg(logits));
  return add(sub(maximum(logits, 0), mul(logits, z)), log(add(exp(neg(absX)), 1)));
}
