/**
 * Every head in both modes compiles to a model the ONNX checker accepts (full_check runs ONNX
 * shape inference against our declared types) and onnxruntime loads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileModel } from '../../src/compile.ts';
import { HEAD_NAMES } from '../../src/model/params.ts';
import { createSession } from '../../src/backends/onnx/session.ts';
import { checkOnnxModel, onnxCheckerUnavailable } from '../helpers/onnx-checker.ts';

const unavailable = onnxCheckerUnavailable();
if (unavailable) console.log(`# skipping onnx.checker validation: ${unavailable}`);

describe('emitted models pass the ONNX checker', () => {
  for (const head of HEAD_NAMES) {
    for (const mode of ['infer', 'grad'] as const) {
      if (head === 'encoder' && mode === 'grad') continue;
      for (const keepEinsum of mode === 'infer' ? [false, true] : [false]) {
        const name = `${head} ${mode}${keepEinsum ? ' --keep-einsum' : ''}`;
        it(name, { skip: unavailable ?? false }, async () => {
          const c = compileModel({ config: 'tiny', head, mode, numLabels: head === 'classifier' ? 3 : undefined, maxPredictions: 5, keepEinsum });
          assert.equal((c.stats.ops.Einsum ?? 0) > 0, keepEinsum, 'Einsum present only with --keep-einsum');
          checkOnnxModel(c.model);
          await createSession(c.model, { threads: 1 });
        });
      }
    }
  }
});
