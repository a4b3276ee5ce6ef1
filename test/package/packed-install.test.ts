// The package as npm installs it: `npm pack` (which builds dist/ through prepack), installed into
// a fresh consumer project without network access where the npm cache allows, then imported from
// plain node (no tsx), type-checked by a strict TypeScript consumer, and run as the `albert` CLI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment for npm and the consumer: ours without the npm_* variables an enclosing
 * `npm test` sets for its own project (they would point the consumer's npm at this repository),
 * and with onnxruntime-node's install script told not to download CUDA libraries.
 */
function childEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') || keep.has(k)));
  return { ...env, ONNXRUNTIME_NODE_INSTALL: 'skip', NO_COLOR: '1' };
}

function sh(cmd: string, args: string[], cwd: string, timeoutMs = 120_000): Result {
  const r = spawnSync(cmd, args, { cwd, env: childEnv(), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: Result, what: string): Result {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}):\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  return r;
}

const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' });
const noNpm = npmVersion.error || npmVersion.status !== 0 ? `npm is not available (${npmVersion.error?.message ?? npmVersion.stderr.trim()})` : undefined;

describe('the packed package, installed into a consumer project', { skip: noNpm, timeout: 300_000 }, () => {
  let tmp: string;
  let consumer: string;
  let files: string[] = [];
  let installedWith = '--offline';
  const bin = (): string => join(consumer, 'node_modules', '.bin', 'albert');

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'albert-pack-'));
    // prepack runs `npm run build`, so the tarball always holds freshly compiled JavaScript.
    const packed = ok(sh('npm', ['pack', '--json', '--pack-destination', tmp], ROOT, 180_000), 'npm pack');
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    files = info.files.map((f) => f.path);
    const tarball = join(tmp, info.filename);

    consumer = join(tmp, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    const install = ['install', tarball, '--no-audit', '--no-fund'];
    let r = sh('npm', [...install, '--offline'], consumer);
    // A cache that lacks some registry answer (a machine that never ran npm ci) needs the
    // registry for it; everything else still comes from the cache.
    if (r.status !== 0 && /ENOTCACHED/.test(r.stderr)) {
      installedWith = '--prefer-offline (the npm cache lacked something)';
      r = sh('npm', [...install, '--prefer-offline'], consumer);
    }
    ok(r, 'npm install <tarball>');
  });

  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the tarball holds the compiled library and the binary, and nothing of tests, CI, benchmarks or sources', (t) => {
    t.diagnostic(`npm ${npmVersion.stdout.trim()}; installed with ${installedWith}`);
    for (const f of ['package.json', 'bin/run.js', 'dist/index.js', 'dist/index.d.ts', 'dist/commands/index.js', 'dist/backends/onnx/ort.js']) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    // Files the library reads at run time next to its modules.
    assert.ok(files.includes('dist/text/sentencepiece-model.proto'));
    assert.ok(files.includes('dist/backends/cuda/kernels.json'));
    assert.deepEqual(files.filter((f) => /^(test|\.ci|bench|src|node_modules)\//.test(f) || f.startsWith('.npmrc')), []);
    assert.deepEqual(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), [], 'no TypeScript sources');
  });

  it('plain node imports it and compiles, runs and tokenizes with it', () => {
    const script = `
      const m = await import('albert-compiler');
      const c = m.compileModel({ config: 'tiny', head: 'classifier', mode: 'infer', numLabels: 3 });
      const s = await m.createSession(c.model);
      const pieces = m.text.decodeModelProto(m.text.encodeModelProto({ pieces: [{ piece: '<unk>', type: m.text.PieceType.UNKNOWN }, { piece: 'x', score: -1 }] })).pieces;
      console.log(JSON.stringify({ head: c.manifest.head, inputs: s.inputNames, outputs: s.outputNames, pieces: pieces.map((p) => p.piece) }));`;
    const r = ok(sh(process.execPath, ['--input-type=module', '-e', script], consumer), 'node -e import(albert-compiler)');
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)!), {
      head: 'classifier',
      inputs: ['input_ids', 'input_mask', 'segment_ids'],
      outputs: ['logits'],
      pieces: ['<unk>', 'x'],
    });
  });

  it('a strict TypeScript consumer type-checks against its declarations, and its type errors are caught', () => {
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          noEmit: true,
          // Our declarations are checked too; those of other packages have errors of their own
          // (onnx-proto's use a global Long), which are filtered out below.
          skipLibCheck: false,
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['good.ts', 'bad.ts'],
      }),
    );
    writeFileSync(
      join(consumer, 'good.ts'),
      `import { compileModel, createSession, Graph, UserError, presetConfig, text, type AlbertConfig, type CompiledModel, type Manifest } from 'albert-compiler';
const config: AlbertConfig | undefined = presetConfig('tiny');
const compiled: CompiledModel = compileModel({ config: config ?? 'tiny', head: 'classifier', mode: 'infer', numLabels: 3 });
const manifest: Manifest = compiled.manifest;
const inputs: readonly string[] = (await createSession(compiled.model)).inputNames;
const graph = new Graph('g');
const error: Error = new UserError('x');
const bytes: Uint8Array = text.encodeModelProto({ pieces: [{ piece: 'a' }] });
export { manifest, inputs, graph, error, bytes };
`,
    );
    writeFileSync(
      join(consumer, 'bad.ts'),
      `import { compileModel } from 'albert-compiler';
export const n: number = compileModel({ config: 'tiny', head: 'classifier', mode: 'infer' });
`,
    );
    const r = sh(process.execPath, [TSC, '-p', consumer], consumer);
    const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    const ours = errors.filter((l) => !l.startsWith('node_modules/') || l.startsWith('node_modules/albert-compiler/'));
    assert.equal(r.status, 2, r.stdout);
    assert.equal(ours.length, 1, `only bad.ts has an error:\n${ours.join('\n')}`);
    assert.match(ours[0], /^bad\.ts\(2,14\): error TS2322: Type 'CompiledModel' is not assignable to type 'number'/);
  });

  it('the albert binary runs from the install, without tsx', () => {
    assert.ok(!existsSync(join(consumer, 'node_modules', 'tsx')), 'tsx is a devDependency: not installed for consumers');
    const help = ok(sh(bin(), ['--help'], consumer), 'albert --help');
    for (const c of ['compile', 'doctor', 'inspect', 'quickstart', 'finetune']) assert.match(help.stdout, new RegExp(`^  ${c} `, 'm'), c);
    const out = join(tmp, 'compiled');
    ok(sh(bin(), ['compile', '--config', 'tiny', '--head', 'classifier', '--mode', 'infer', '--out', out], consumer), 'albert compile');
    assert.ok(existsSync(join(out, 'model.onnx')) && existsSync(join(out, 'manifest.json')));
  });

  it('without onnxruntime-node, the library and the CLI say in one line what is missing and how to fix it', () => {
    const model = join(tmp, 'compiled-before-removal');
    ok(sh(bin(), ['compile', '--config', 'tiny', '--head', 'classifier', '--mode', 'infer', '--out', model], consumer), 'albert compile');
    renameSync(join(consumer, 'node_modules', 'onnxruntime-node'), join(tmp, 'onnxruntime-node.moved'));
    // Compiling needs no runtime: the library still imports and compiles.
    const script = `
      const m = await import('albert-compiler');
      const c = m.compileModel({ config: 'tiny', head: 'classifier', mode: 'infer' });
      try { await m.createSession(c.model); console.log('opened'); } catch (e) { console.log(e.name + ': ' + e.message); }`;
    const lib = ok(sh(process.execPath, ['--input-type=module', '-e', script], consumer), 'node -e createSession');
    assert.match(lib.stdout.trim(), /^UserError: onnxruntime-node is not installed .*ONNXRUNTIME_NODE_INSTALL=skip npm install.*`albert doctor`$/);
    const run = sh(bin(), ['run', '-m', model, '--runs', '1', '--batch-size', '1', '--seq-length', '8'], consumer);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /^Error: .*onnxruntime-node is not installed .*ONNXRUNTIME_NODE_INSTALL=skip npm install/);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  });
});
