/**
 * The kernel flags through the CLI: `albert compile --fusion standard | --no-fuse` write the ops
 * each level promises (plain opset 17, or primitives only), and `albert inspect --recompute`
 * reports the lower activation peak of recomputing attention.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { onnx } from '../../src/backends/onnx/proto.ts';
import { albert } from '../helpers/cli.ts';

function opsOf(file: string): { ops: Set<string>; domains: Set<string> } {
  const m = onnx.ModelProto.decode(readFileSync(file));
  return {
    ops: new Set((m.graph?.node ?? []).map((n) => `${n.domain ? `${n.domain}.` : ''}${n.opType}`)),
    domains: new Set((m.opsetImport ?? []).map((o) => o.domain ?? '')),
  };
}

describe('kernel flags', () => {
  it('albert compile writes the fused kernels of each level', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-fusion-'));
    const compile = (out: string, ...flags: string[]) => albert('compile', '--config', 'tiny', '--head', 'classifier', '--mode', 'infer', '--out', join(dir, out), ...flags);
    const [all, standard, none] = await Promise.all([compile('all'), compile('standard', '--fusion', 'standard'), compile('none', '--no-fuse')]);
    for (const r of [all, standard, none]) assert.equal(r.code, 0, r.stderr);
    const [a, s, n] = ['all', 'standard', 'none'].map((d) => opsOf(join(dir, d, 'model.onnx')));
    assert.ok(a.ops.has('com.microsoft.MultiHeadAttention') && a.ops.has('com.microsoft.FastGelu') && a.ops.has('LayerNormalization'), [...a.ops].join(' '));
    assert.ok(s.ops.has('LayerNormalization') && s.ops.has('Softmax') && !s.domains.has('com.microsoft'), [...s.ops].join(' '));
    assert.ok(!n.ops.has('LayerNormalization') && !n.ops.has('Softmax') && !n.domains.has('com.microsoft'), [...n.ops].join(' '));
  });

  it('albert inspect --recompute: recomputing attention lowers the activation peak', async () => {
    const inspect = (mode: string) => albert('inspect', '--config', 'tiny', '--head', 'pretraining', '--mode', 'grad', '--seq-length', '64', '--recompute', mode, '--format', 'json');
    const [recompute, keep] = await Promise.all([inspect('attention'), inspect('none')]);
    for (const r of [recompute, keep]) assert.equal(r.code, 0, r.stderr);
    const peak = (r: { stdout: string }): number => (JSON.parse(r.stdout) as { memory: { peak_live_bytes: number } }).memory.peak_live_bytes;
    assert.ok(peak(recompute) < peak(keep), `${peak(recompute)} vs ${peak(keep)}`);
  });
});
