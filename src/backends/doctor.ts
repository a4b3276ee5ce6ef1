/**
 * `albert doctor`: what each execution provider (cpu, cuda, webgpu) needs on this machine, whether
 * it is there, and the exact fix where it is not; then whether a session really opens and runs a
 * tiny model on the provider and agrees with the CPU. Each session is tried in a child process:
 * a provider that fails to load can take the process down (or print native noise), and the
 * report must survive that.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from './onnx/ort.ts';
import { compileModel } from '../compile.ts';
import { syntheticFeeds } from './onnx/synthetic-feeds.ts';
import {
  CUDA_LIBRARIES,
  CUDA_PROVIDER_FILES,
  CUDA_PROVIDER_INSTALL,
  debianPackageVersion,
  findSharedLibrary,
  nvidiaDriver,
  ortBinaryDir,
  ortPackageDir,
  ortVersion,
  vulkanIcds,
  type ProviderName,
} from './providers.ts';

export interface DoctorCheck {
  provider: ProviderName | 'runtime';
  check: string;
  ok: boolean;
  detail: string;
  /** What to do about it, exactly (absent when ok). */
  fix?: string;
}

export interface ProbeResult {
  ok: boolean;
  seconds: number;
  /** Largest |provider - cpu| over the tiny model's logits. */
  maxAbsDiff?: number;
  error?: string;
}

/** Logits of a tiny classifier may differ between providers by float32 rounding, not more. */
const PROBE_TOLERANCE = 1e-4;
/** Software Vulkan compiles shaders slowly: a WebGPU session takes ~20 s on lavapipe. */
const PROBE_TIMEOUT_MS = 180_000;

/** Opens the tiny model on `provider` and on the CPU, runs both, compares (in this process). */
export async function probeProvider(provider: ProviderName): Promise<ProbeResult> {
  const t0 = performance.now();
  try {
    const c = compileModel({ config: 'tiny', head: 'classifier', mode: 'infer', seed: 1 });
    const feeds = syntheticFeeds(c.manifest, { batchSize: 2, seqLength: 8, seed: 1 }) as Record<string, ort.Tensor>;
    const run = async (ep: ProviderName): Promise<Float32Array> => {
      const s = await ort.InferenceSession.create(c.model, { executionProviders: [ep], logSeverityLevel: 4 });
      const out = await s.run(feeds);
      return out.logits.data as Float32Array;
    };
    const got = await run(provider);
    const want = provider === 'cpu' ? got : await run('cpu');
    let maxAbsDiff = 0;
    for (let i = 0; i < want.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i] - want[i]));
    const ok = Number.isFinite(maxAbsDiff) && maxAbsDiff <= PROBE_TOLERANCE;
    return { ok, seconds: (performance.now() - t0) / 1000, maxAbsDiff, ...(ok ? {} : { error: `logits differ from the CPU provider's by ${maxAbsDiff}` }) };
  } catch (e) {
    return { ok: false, seconds: (performance.now() - t0) / 1000, error: firstLine(e instanceof Error ? e.message : String(e)) };
  }
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim() !== '')?.trim() ?? s;
}

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'run.js');

/** probeProvider in a child process (`albert doctor --probe <provider>`). */
export function probeInChild(provider: ProviderName, env: NodeJS.ProcessEnv = process.env): ProbeResult {
  const r = spawnSync(process.execPath, [BIN, 'doctor', '--probe', provider], { encoding: 'utf8', env, timeout: PROBE_TIMEOUT_MS });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('{'));
  if (line) return JSON.parse(line) as ProbeResult;
  const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  const tail = (r.stderr ?? '').trim().split('\n').filter((l) => l.trim() !== '').slice(-1)[0];
  return { ok: false, seconds: NaN, error: `the probe process ended without a result (${why})${tail ? `: ${tail.trim()}` : ''}` };
}

const sessionCheck = (provider: ProviderName, p: ProbeResult, fix: string): DoctorCheck =>
  p.ok
    ? { provider, check: 'session', ok: true, detail: `a session opens and runs the tiny model in ${p.seconds.toFixed(2)} s${provider === 'cpu' ? '' : `, max |diff| to the CPU ${p.maxAbsDiff!.toExponential(1)}`}` }
    : { provider, check: 'session', ok: false, detail: p.error ?? 'failed', fix };

function runtimeChecks(): DoctorCheck[] {
  return [
    { provider: 'runtime', check: 'node', ok: true, detail: process.version },
    { provider: 'runtime', check: 'onnxruntime-node', ok: true, detail: `${ortVersion()} (${ortPackageDir()})` },
  ];
}

function cudaChecks(probe: (p: ProviderName) => ProbeResult): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const driver = nvidiaDriver();
  out.push(
    driver
      ? { provider: 'cuda', check: 'driver', ok: true, detail: driver }
      : { provider: 'cuda', check: 'driver', ok: false, detail: 'no NVIDIA driver (/proc/driver/nvidia/version is missing): no GPU, or its driver is not loaded', fix: 'on a machine with an NVIDIA GPU, install its driver (R580 or newer, for CUDA 13)' },
  );
  const bin = ortBinaryDir();
  const missing = CUDA_PROVIDER_FILES.filter((f) => !existsSync(join(bin, f)));
  out.push(
    missing.length === 0
      ? { provider: 'cuda', check: 'provider libraries', ok: true, detail: `${CUDA_PROVIDER_FILES.join(', ')} in ${bin}` }
      : {
          provider: 'cuda',
          check: 'provider libraries',
          ok: false,
          detail: `${missing.join(', ')} missing from ${bin}`,
          fix: `${CUDA_PROVIDER_INSTALL} && albert setup cuda`,
        },
  );
  const libs = CUDA_LIBRARIES.map((l) => [l, findSharedLibrary(l)] as const);
  const absent = libs.filter(([, at]) => at === null).map(([l]) => l);
  out.push(
    absent.length === 0
      ? { provider: 'cuda', check: 'CUDA libraries', ok: true, detail: libs.map(([l, at]) => `${l} (${at})`).join(', ') }
      : {
          provider: 'cuda',
          check: 'CUDA libraries',
          ok: false,
          detail: `not found by the dynamic loader (LD_LIBRARY_PATH, ldconfig): ${absent.join(', ')}`,
          fix: 'install the CUDA 13 runtime, cuBLAS and cuRAND (NVIDIA\'s cuda-toolkit packages, or pip install nvidia-cuda-runtime nvidia-cublas nvidia-curand for CUDA 13) and add their lib folders to LD_LIBRARY_PATH',
        },
  );
  if (out.every((c) => c.ok)) out.push(sessionCheck('cuda', probe('cuda'), 'see the error above; `albert doctor --json` gives every detail'));
  else out.push({ provider: 'cuda', check: 'session', ok: false, detail: 'not tried: fix the checks above first' });
  return out;
}

function webgpuChecks(probe: (p: ProviderName) => ProbeResult): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const vulkan = findSharedLibrary('libvulkan.so.1');
  out.push(
    vulkan
      ? { provider: 'webgpu', check: 'Vulkan loader', ok: true, detail: vulkan }
      : { provider: 'webgpu', check: 'Vulkan loader', ok: false, detail: 'libvulkan.so.1 not found', fix: 'apt-get install libvulkan1 (Debian/Ubuntu)' },
  );
  const icds = vulkanIcds();
  const mesa = debianPackageVersion('mesa-vulkan-drivers');
  const oldMesa = mesa !== null && Number.parseInt(mesa, 10) < 25;
  const mesaFix =
    'echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/backports.list && apt-get update && apt-get install -t bookworm-backports mesa-vulkan-drivers (Dawn refuses Debian 12\'s own lavapipe 22.3); with a GPU, its vendor\'s Vulkan driver';
  if (icds.length === 0) out.push({ provider: 'webgpu', check: 'Vulkan driver', ok: false, detail: 'no Vulkan ICD manifest (/usr/share/vulkan/icd.d, VK_ICD_FILENAMES)', fix: mesaFix });
  else if (oldMesa && !nvidiaDriver()) out.push({ provider: 'webgpu', check: 'Vulkan driver', ok: false, detail: `mesa-vulkan-drivers ${mesa}: its software driver (lavapipe) is too old for Dawn`, fix: mesaFix });
  else out.push({ provider: 'webgpu', check: 'Vulkan driver', ok: true, detail: `${icds.length} ICD manifest${icds.length === 1 ? '' : 's'}${mesa ? `; mesa-vulkan-drivers ${mesa}` : ''}${process.env.VK_ICD_FILENAMES ? ` (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES})` : ''}` });
  if (out.every((c) => c.ok)) {
    out.push(
      sessionCheck('webgpu', probe('webgpu'), 'with several Vulkan drivers installed, point VK_ICD_FILENAMES at one (e.g. /usr/share/vulkan/icd.d/lvp_icd.json for software rendering)'),
    );
  } else out.push({ provider: 'webgpu', check: 'session', ok: false, detail: 'not tried: fix the checks above first' });
  return out;
}

export interface DoctorOptions {
  providers?: readonly ProviderName[];
  /** How sessions are tried (default: in a child process); tests may substitute it. */
  probe?: (p: ProviderName) => ProbeResult;
}

export function diagnose(opts: DoctorOptions = {}): DoctorCheck[] {
  const providers = opts.providers ?? ['cpu', 'cuda', 'webgpu'];
  const probe = opts.probe ?? ((p: ProviderName) => probeInChild(p));
  const checks = runtimeChecks();
  if (providers.includes('cpu')) checks.push(sessionCheck('cpu', probe('cpu'), 'reinstall onnxruntime-node (npm ci); its CPU provider ships with it'));
  if (providers.includes('cuda')) checks.push(...cudaChecks(probe));
  if (providers.includes('webgpu')) checks.push(...webgpuChecks(probe));
  return checks;
}

/** One provider is usable when all its checks pass. */
export function usable(checks: readonly DoctorCheck[], provider: ProviderName): boolean {
  const mine = checks.filter((c) => c.provider === provider);
  return mine.length > 0 && mine.every((c) => c.ok);
}
