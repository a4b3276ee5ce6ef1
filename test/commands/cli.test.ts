import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'run.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `albert ...` as a user would (each spawn costs about a second). */
function albert(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 60_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function assertOneLineError(r: Run, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `exit code 0; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^Error: /);
  assert.match(lines[0], pattern);
}

describe('albert CLI', () => {
  it('lists its commands in --help', async () => {
    const r = await albert('--help');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /compile\s+Compile an ALBERT model/);
    assert.match(r.stdout, /inspect\s+Report on a model/);
  });

  it('reports user errors in one line with a non-zero exit code', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'albert-cli-')), 'x');
    const [badFlag, badHead, noConfig, noSource] = await Promise.all([
      albert('compile', '--bogus'),
      albert('compile', '--config', 'tiny', '--head', 'nope', '--mode', 'grad', '--out', out),
      albert('compile', '--config', join(out, 'missing.json'), '--head', 'mlm', '--mode', 'grad', '--out', out),
      albert('inspect'),
    ]);
    assertOneLineError(badFlag, /Nonexistent flag: --bogus/);
    assertOneLineError(badHead, /--head=nope .*pretraining/);
    assertOneLineError(noConfig, /missing\.json/);
    assertOneLineError(noSource, /model file|--config/);
    assert.equal(existsSync(out), false);
  });

  it('compiles a tiny model and inspects the file and the config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-cli-'));
    const out = join(dir, 'tiny');
    const c = await albert('compile', '--config', 'tiny', '--head', 'pretraining', '--mode', 'grad', '--out', out, '--json', '--dump-after', 'dce');
    assert.equal(c.code, 0, c.stderr);
    const summary = JSON.parse(c.stdout);
    assert.ok(summary.nodes > 0 && summary.parameters > 0);
    assert.match(c.stderr, /parameters/);
    assert.ok(existsSync(join(out, 'model.onnx')));
    assert.deepEqual(summary.dumps.slice(0, 1), [join(out, 'dump-dce.txt')]);
    assert.match(readFileSync(join(out, 'dump-dce.txt'), 'utf8'), /^graph /);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));

    const html = join(dir, 'x.html');
    const [file, page] = await Promise.all([
      albert('inspect', join(out, 'model.onnx'), '--format', 'json'),
      albert('inspect', '--config', 'tiny', '--head', 'classifier', '--num-labels', '3', '--format', 'html', '--out', html),
    ]);
    assert.equal(file.code, 0, file.stderr);
    const report = JSON.parse(file.stdout);
    assert.equal(report.kind, 'onnx');
    // Gradient graphs take the parameters as inputs; the manifest says which.
    const expected = manifest.parameters.reduce((s: number, p: { shape: number[] }) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(report.parameters.count, expected);
    assert.equal(report.parameters.count, summary.parameters);
    assert.equal(page.code, 0, page.stderr);
    const text = readFileSync(html, 'utf8');
    assert.match(text, /<html lang="en">/);
    assert.match(text, /<h2>Parameters/);
    assert.match(text, /classifier/);
  });
});
