// The ONNX lowering table: every op the IR defines has exactly one lowering, and emitting an op
// without one is an error that names it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { Graph } from '../../../src/ir/graph.ts';
import { allOps, defineOp } from '../../../src/ir/op.ts';
import { Add } from '../../../src/ir/ops/index.ts';
import { emitModel } from '../../../src/backends/onnx/emit.ts';
import { hasLowering, loweredOps, registerLowering } from '../../../src/backends/onnx/lowering.ts';

// The library's ops, taken before the tests below define their own.
const libraryOps = allOps();

const passThrough = defineOp<object>({
  name: 'TestLoweringRegisteredTwice',
  infer: ([x]) => [{ dtype: x.dtype, shape: [...x.shape] }],
  evaluate: ([x]) => [x],
});

const unlowered = defineOp<object>({
  name: 'TestLoweringMissing',
  infer: ([x]) => [{ dtype: x.dtype, shape: [...x.shape] }],
  evaluate: ([x]) => [x],
});

describe('ONNX lowering table', () => {
  it('has a lowering for every op the IR defines', () => {
    assert.ok(libraryOps.length > 40, `only ${libraryOps.length} ops are registered: is src/ir/ops/index.ts imported?`);
    const missing = libraryOps.filter((op) => !hasLowering(op)).map((op) => op.name);
    assert.deepEqual(missing, [], `ops without an ONNX lowering: ${missing.join(', ')}`);
  });

  it('lowers only ops the IR defines', () => {
    const known = new Set(allOps());
    assert.deepEqual(
      loweredOps().filter((op) => !known.has(op)).map((op) => op.name),
      [],
    );
  });

  it('refuses a second lowering of an op, naming it', () => {
    registerLowering(passThrough, (e, _n, ins, outs) => {
      e.node('Identity', ins, outs);
    });
    assert.ok(hasLowering(passThrough));
    assert.throws(() => registerLowering(passThrough, () => {}), /TestLoweringRegisteredTwice/);
    assert.throws(() => registerLowering(Add, () => {}), /\bAdd\b/);
  });

  it('refuses to emit an op without a lowering, naming it', () => {
    const g = new Graph('unlowered');
    const x = g.input('x', 'float32', [2]);
    g.output('y', g.addNode(unlowered, [x], {})[0]);
    assert.ok(!hasLowering(unlowered));
    assert.throws(() => emitModel(g, { paramsAs: 'inputs' }), /TestLoweringMissing has no ONNX lowering/);
  });

  it('keeps ONNX out of the IR: no file under src/ir lowers ops or names the emitter', () => {
    const root = resolve(import.meta.dirname, '../../../src/ir');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const offenders = files.filter((f) => /\b(toOnnx|OnnxEmitter|OnnxAttr)\b|backends\//.test(readFileSync(join(root, f), 'utf8')));
    assert.deepEqual(offenders, []);
  });
});
