/**
 * The head registry: every head builds in each of its forms on the tiny preset with exactly the
 * inputs, outputs, metrics and parameters its definition declares; recognising a head from its
 * own parameters gives it back; names are unique and the derived lists follow the registry.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetConfig, type AlbertConfig } from '../../src/model/config.ts';
import { addModelMetrics, buildAlbertGraph } from '../../src/model/albert.ts';
import { canonDim } from '../../src/ir/shape.ts';
import { printGraph } from '../../src/ir/printer.ts';
import { UserError } from '../../src/ir/errors.ts';
import {
  EXPORTABLE_HEAD_NAMES,
  HEADS,
  headDefinition,
  paramsAsCheckpoint,
  recogniseHead,
  resolveNumLabels,
  type HeadDefinition,
  type HeadShape,
} from '../../src/model/heads/registry.ts';
import { encoderParams, HEAD_NAMES, headParams, isHeadName, modelParams } from '../../src/model/params.ts';
import { hfArchitecture } from '../../src/model/weights/save-hf.ts';
import { addMetrics } from '../../src/train-graph/metrics.ts';

function tiny(): AlbertConfig {
  const c = presetConfig('tiny');
  assert.ok(c);
  // Dropout everywhere, so that classifier dropout and the RNG inputs are exercised too.
  return { ...c, hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, classifierDropoutProb: 0.1 };
}

const P = 3;

/** The variants each head is checked in: every label count a head distinguishes. */
function variants(def: HeadDefinition): { numLabels?: number; numChoices?: number }[] {
  if (def.numLabels.kind === 'option') return [{ numLabels: 1 }, { numLabels: 3 }, {}];
  if (def.validate) return [{ numChoices: 3 }, {}];
  return [{}];
}

describe('head registry', () => {
  it('has unique names, listed by HEAD_NAMES in registry order', () => {
    const names = HEADS.map((h) => h.name);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual([...HEAD_NAMES], names);
    for (const n of names) {
      assert.ok(isHeadName(n));
      assert.equal(headDefinition(n).name, n);
    }
    assert.equal(isHeadName('ner'), false);
    assert.throws(() => headDefinition('ner'), (e: unknown) => e instanceof UserError && /unknown head "ner" \(expected one of encoder, pretraining/.test(e.message));
    assert.deepEqual([...EXPORTABLE_HEAD_NAMES], HEADS.filter((h) => h.exportable).map((h) => h.name));
  });

  for (const def of HEADS) {
    for (const v of variants(def)) {
      const label = `${def.name}${v.numLabels !== undefined ? ` (${v.numLabels} labels)` : ''}${v.numChoices !== undefined ? ` (${v.numChoices} choices)` : ''}`;
      const shape: HeadShape = { numLabels: resolveNumLabels(def, v.numLabels), numChoices: v.numChoices ?? 4, maxPredictions: P };
      const signature = def.signature(shape);

      for (const train of [false, true]) {
        const form = train ? signature.train : signature.infer;
        it(`${label} ${train ? 'train' : 'infer'}: the built graph has the declared inputs, outputs and parameters`, () => {
          const cfg = tiny();
          const build = (): ReturnType<typeof buildAlbertGraph> => buildAlbertGraph(cfg, { head: def.name, train, maxPredictions: P, ...v });
          if (!form) {
            assert.throws(build, (e: unknown) => e instanceof UserError && /has no loss: it has an inference graph only/.test(e.message));
            return;
          }
          const g = build();
          const data = g.inputs.filter((x) => x.input!.role === 'data');
          assert.deepEqual(
            data.map((x) => [x.input!.name, x.dtype, x.shape]),
            form.inputs.map((i) => [i.name, i.dtype, i.shape.map(canonDim)]),
          );
          assert.deepEqual(g.outputs.map((o) => o.name), form.outputs);
          const params = modelParams(cfg, def.name, { numLabels: shape.numLabels });
          assert.deepEqual(
            g.params().map((x) => [x.input!.name, x.shape, x.input!.hfName, x.input!.transposed]),
            params.map((p) => [p.name, p.shape, p.hfName, p.transposed]),
          );
          assert.deepEqual(params.slice(0, encoderParams(cfg).length), encoderParams(cfg));
          assert.deepEqual(headParams(cfg, def.name, { numLabels: shape.numLabels }), def.params(cfg, { numLabels: shape.numLabels }));
          const rng = g.inputs.filter((x) => x.input!.role === 'state').map((x) => x.input!.name);
          assert.deepEqual(rng, train ? ['dropout_seed', 'dropout_step'] : []);

          // Metrics: only when asked for, after the losses, and the same graph either way.
          const metrics = train && signature.train ? signature.train.metrics : [];
          const nodes = g.nodes.length;
          assert.deepEqual(addMetrics(g), metrics);
          assert.deepEqual(addModelMetrics(g), metrics, 'asking again gives the same names');
          assert.deepEqual(g.outputs.map((o) => o.name), [...form.outputs, ...metrics]);
          if (metrics.length === 0) assert.equal(g.nodes.length, nodes);
          for (const m of metrics) assert.deepEqual(g.outputByName(m)!.shape, [], `${m} is a scalar`);
          const withMetrics = buildAlbertGraph(cfg, { head: def.name, train, maxPredictions: P, ...v, metrics: true });
          assert.equal(printGraph(withMetrics), printGraph(g));
        });
      }

      it(`${label}: recognised from its own parameters, TF and HF names alike`, () => {
        const cfg = tiny();
        const params = modelParams(cfg, def.name, { numLabels: shape.numLabels });
        const want = def.numLabels.kind === 'option' ? { head: def.name, numLabels: shape.numLabels } : { head: def.name };
        const tf = params.map((p) => ({ ...p, hfName: `unused.${p.name}`, hfAliases: [] }));
        const hf = params.map((p) => ({ ...p, name: `unused/${p.hfName}` }));
        for (const view of [tf, hf]) assert.deepEqual(recogniseHead(paramsAsCheckpoint(view, [def.hf.architecture])), want);
        assert.equal(hfArchitecture(params, def.name), def.hf.architecture);
      });
    }
  }

  it('recognises the head of a checkpoint holding several heads by priority', () => {
    const cfg = tiny();
    const both = [...modelParams(cfg, 'pretraining'), ...headParams(cfg, 'squad')];
    assert.deepEqual(recogniseHead(paramsAsCheckpoint(both)), { head: 'pretraining' });
    // A [1, H] layer without an HF config naming multiple choice is a one-label classifier.
    assert.deepEqual(recogniseHead(paramsAsCheckpoint(modelParams(cfg, 'multiple-choice'))), { head: 'classifier', numLabels: 1 });
    assert.deepEqual(recogniseHead(paramsAsCheckpoint(encoderParams(cfg))), { head: 'encoder' });
  });
});
