/**
 * Fused kernels against their decompositions, in onnxruntime: every head's inference graph,
 * every trainable head's gradient graph and a whole training step compiled with all fused
 * kernels (LayerNormalization, Softmax, LogSoftmax, FastGelu/Gelu), with the plain opset-17
 * ones, and with none, run on the same feeds, agree to float32 tolerance.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as ort from 'onnxruntime-node';
import { buildModelGraph, compileModel, type CompileOptions } from '../../../src/compile.ts';
import { analyzeGraph } from '../../../src/inspect/index.ts';
import { OptionError } from '../../../src/util/errors.ts';
import { createSession } from '../../../src/backends/onnx/session.ts';
import { onnx } from '../../../src/backends/onnx/proto.ts';
import { syntheticFeeds } from '../../../src/backends/onnx/synthetic-feeds.ts';
import { FUSION_LEVELS, type FusionLevel } from '../../../src/backends/onnx/fusion.ts';
import { HEADS, hasLoss } from '../../../src/model/heads/registry.ts';
import { loadAlbertConfig } from '../../../src/model/config.ts';

type Outputs = Record<string, Float32Array | Int32Array>;

function opTypes(model: Uint8Array): { ops: Set<string>; domains: Set<string> } {
  const m = onnx.ModelProto.decode(model);
  const ops = new Set((m.graph?.node ?? []).map((n) => `${n.domain ? `${n.domain}.` : ''}${n.opType}`));
  return { ops, domains: new Set((m.opsetImport ?? []).map((o) => o.domain ?? '')) };
}

async function runAt(opts: CompileOptions, fusion: FusionLevel): Promise<{ outputs: Outputs; ops: Set<string>; domains: Set<string> }> {
  const c = compileModel({ ...opts, fusion });
  const s = await createSession(c.model, { threads: 1 });
  const feeds = syntheticFeeds(c.manifest, { batchSize: 3, seqLength: 12, seed: 7 });
  const res = await s.run(feeds as Record<string, ort.Tensor>);
  const outputs: Outputs = {};
  for (const [k, t] of Object.entries(res)) outputs[k] = t.data as Float32Array | Int32Array;
  return { outputs, ...opTypes(c.model) };
}

/** |a - b| <= tol * (max |b| of the tensor + 1e-3), element by element. */
function assertAgree(a: Outputs, b: Outputs, what: string, tol = 2e-4): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), what);
  for (const k of Object.keys(a)) {
    const x = a[k];
    const y = b[k];
    assert.equal(x.length, y.length, `${what} ${k}`);
    if (x instanceof Int32Array) {
      // Top-k indices may swap between near-equal scores; the values beside them are checked.
      continue;
    }
    let scale = 1e-3;
    for (const v of y) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < x.length; i++) {
      assert.ok(Math.abs(x[i] - y[i]) <= tol * scale, `${what} ${k}[${i}]: ${x[i]} vs ${y[i]} (scale ${scale})`);
    }
  }
}

// The tiny config with the erf GELU as well, so both Gelu kernels are exercised.
const tiny = loadAlbertConfig('tiny');
const configs = [
  { label: 'gelu (tanh)', config: tiny },
  { label: 'gelu_exact', config: { ...tiny, hiddenAct: 'gelu_exact' as const } },
];

describe('fused kernels against their decompositions (onnxruntime)', () => {
  for (const { label, config } of configs) {
    for (const def of HEADS) {
      it(`${def.name} inference, ${label}: all = standard = none`, async () => {
        const opts: CompileOptions = { config, head: def.name, mode: 'infer', numChoices: def.name === 'multiple-choice' ? 3 : undefined };
        const [all, standard, none] = await Promise.all(FUSION_LEVELS.map((f) => runAt(opts, f)));
        assert.ok(all.ops.has('LayerNormalization') && all.ops.has(config.hiddenAct === 'gelu_exact' ? 'com.microsoft.Gelu' : 'com.microsoft.FastGelu'), [...all.ops].join(' '));
        assert.ok(standard.ops.has('LayerNormalization') && !standard.domains.has('com.microsoft'), [...standard.ops].join(' '));
        assert.ok(!none.ops.has('LayerNormalization') && !none.ops.has('Softmax') && !none.domains.has('com.microsoft'), [...none.ops].join(' '));
        assertAgree(all.outputs, none.outputs, `${def.name} all vs none`);
        assertAgree(standard.outputs, none.outputs, `${def.name} standard vs none`);
      });
      if (!hasLoss(def) || label !== 'gelu (tanh)') continue;
      it(`${def.name} gradients: all = none`, async () => {
        const opts: CompileOptions = { config, head: def.name, mode: 'grad', numChoices: def.name === 'multiple-choice' ? 3 : undefined };
        const [all, none] = await Promise.all((['all', 'none'] as const).map((f) => runAt(opts, f)));
        assertAgree(all.outputs, none.outputs, `${def.name} grad all vs none`, 1e-3);
      });
    }
  }

  it('recomputing attention or keeping its probabilities: the same gradients, less memory', async () => {
    const opts: CompileOptions = { config: tiny, head: 'pretraining', mode: 'grad' };
    const [recomputed, kept] = await Promise.all([runAt({ ...opts, recompute: 'attention' }, 'all'), runAt({ ...opts, recompute: 'none' }, 'all')]);
    assert.ok(recomputed.ops.has('com.microsoft.MultiHeadAttention'), [...recomputed.ops].join(' '));
    assert.ok(!kept.ops.has('com.microsoft.MultiHeadAttention') && kept.ops.has('Softmax'), [...kept.ops].join(' '));
    assertAgree(recomputed.outputs, kept.outputs, 'grad recompute attention vs none', 1e-3);
    // The analysis albert inspect prints: the probabilities are not alive across the backward.
    const peak = (recompute: 'none' | 'attention'): number =>
      analyzeGraph(buildModelGraph({ ...opts, recompute }), { batchSize: 8, seqLength: 64 }).memory!.peakLiveBytes;
    assert.ok(peak('attention') < peak('none'), `${peak('attention')} vs ${peak('none')}`);
    assert.throws(() => compileModel({ ...opts, fusion: 'standard', recompute: 'attention' }), (e: unknown) => e instanceof OptionError && /\{recompute\} attention needs \{fusion\} all/.test(e.template));
  });

  it('a whole LAMB training step: all = none', async () => {
    const opts: CompileOptions = { config: tiny, head: 'pretraining', mode: 'train', train: { optimizer: 'lamb' } };
    const [all, none] = await Promise.all((['all', 'none'] as const).map((f) => runAt(opts, f)));
    assertAgree(all.outputs, none.outputs, 'train step all vs none', 1e-3);
  });
});
