/**
 * `albert doctor` and `albert setup cuda` on this machine: the CPU provider works; every other
 * provider is reported consistently (usable exactly when all its checks pass, a fix for each
 * failed check), whatever this machine has; a failing session is reported, not fatal; setup
 * copies the two provider libraries atomically and names what is missing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { diagnose, usable, type DoctorCheck } from '../../src/backends/doctor.ts';
import { installCudaProvider } from '../../src/backends/cuda/setup.ts';
import { CUDA_PROVIDER_FILES, CUDA_PROVIDER_PACKAGE_DIR, nvidiaDriver, type ProviderName } from '../../src/backends/providers.ts';
import { OptionError, UserError } from '../../src/util/errors.ts';
import { albert, assertOneLineError } from '../helpers/cli.ts';

describe('albert doctor', () => {
  it('reports every provider consistently, with a fix for each failed check', async () => {
    const r = await albert('doctor', '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { usable: Record<ProviderName, boolean>; checks: DoctorCheck[] };
    assert.equal(doc.usable.cpu, true);
    for (const p of ['cpu', 'cuda', 'webgpu'] as const) {
      const mine = doc.checks.filter((c) => c.provider === p);
      assert.ok(mine.length > 0, p);
      assert.equal(doc.usable[p], mine.every((c) => c.ok), p);
      for (const c of mine.filter((x) => !x.ok && !x.detail.startsWith('not tried'))) assert.ok(c.fix && c.fix.length > 10, `${p} ${c.check} has no fix`);
    }
    // The driver check tells the truth about this machine.
    const driver = doc.checks.find((c) => c.provider === 'cuda' && c.check === 'driver')!;
    assert.equal(driver.ok, nvidiaDriver() !== null);
    if (!driver.ok) console.log('doctor: no NVIDIA driver here; the CUDA checks are seen failing with their fixes');
    if (!doc.usable.webgpu) console.log(`doctor: WebGPU not usable here: ${doc.checks.filter((c) => c.provider === 'webgpu' && !c.ok).map((c) => c.detail).join('; ')}`);
  });

  it('exits 1 when a provider asked for is not usable, and prints the report anyway', async () => {
    const r = await albert('doctor', '--provider', 'cuda');
    const cudaUsable = /cuda usable/.test(r.stdout);
    assert.equal(r.code, cudaUsable ? 0 : 1, r.stderr);
    assert.match(r.stdout, /^runtime +onnxruntime-node +ok/m);
    assert.match(r.stdout, /^cuda +driver +(ok|MISSING)/m);
    assert.doesNotMatch(r.stdout, /^webgpu/m);
  });

  it('reports a session that fails (a provider that loads but cannot run) with its error', () => {
    const probe = (p: ProviderName) => (p === 'cpu' ? { ok: true, seconds: 0.1, maxAbsDiff: 0 } : { ok: false, seconds: 1, error: 'Failed to load library libonnxruntime_providers_cuda.so' });
    const checks = diagnose({ providers: ['cpu', 'webgpu'], probe });
    assert.equal(usable(checks, 'cpu'), true);
    const session = checks.find((c) => c.provider === 'webgpu' && c.check === 'session')!;
    if (checks.filter((c) => c.provider === 'webgpu' && c.check !== 'session').every((c) => c.ok)) {
      assert.equal(session.ok, false);
      assert.match(session.detail, /Failed to load library/);
      assert.ok(session.fix);
    } else assert.match(session.detail, /^not tried/);
    assert.equal(usable(checks, 'webgpu'), false);
  });
});

describe('albert setup cuda', () => {
  it('copies the two provider libraries from the package folder, and names a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-setup-'));
    const pkg = join(dir, 'pkg');
    const to = join(dir, 'ort-bin');
    mkdirSync(join(pkg, CUDA_PROVIDER_PACKAGE_DIR), { recursive: true });
    mkdirSync(to);
    CUDA_PROVIDER_FILES.forEach((f, i) => writeFileSync(join(pkg, CUDA_PROVIDER_PACKAGE_DIR, f), `library ${i}`));
    const r = installCudaProvider({ from: pkg, to });
    assert.deepEqual(r.copied.map((c) => c.file), CUDA_PROVIDER_FILES.map((f) => join(to, f)));
    CUDA_PROVIDER_FILES.forEach((f, i) => assert.equal(readFileSync(join(to, f), 'utf8'), `library ${i}`));
    const partial = join(dir, 'partial');
    mkdirSync(join(partial, CUDA_PROVIDER_PACKAGE_DIR), { recursive: true });
    writeFileSync(join(partial, CUDA_PROVIDER_PACKAGE_DIR, CUDA_PROVIDER_FILES[0]), 'x');
    assert.throws(() => installCudaProvider({ from: partial, to: join(dir, 'other') }), (e: unknown) => e instanceof UserError && e.message.includes(CUDA_PROVIDER_FILES[1]));
    assert.equal(existsSync(join(dir, 'other')), false);
  });

  it('without the package: an error with the npm command; a --from that does not exist: a one-line error', async () => {
    // Looked for from an empty folder, where no node_modules can hold it (whatever this machine has).
    const empty = join(mkdtempSync(join(tmpdir(), 'albert-setup-')), 'probe.js');
    assert.throws(
      () => installCudaProvider({ searchFrom: empty, to: tmpdir() }),
      (e: unknown) => e instanceof OptionError && /run npm install --no-save com\.github\.asus4\.onnxruntime\.linux-x64-gpu@0\.4\.9 .*\{from\}/.test(e.template),
    );
    const r = await albert('setup', 'cuda', '--from', join(tmpdir(), 'no-such-provider-package'));
    assertOneLineError(r, /^Error: --from .*no-such-provider-package: no such folder$/);
  });
});
