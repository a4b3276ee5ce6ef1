/**
 * Where onnxruntime-node keeps its native libraries, and what each execution provider needs on
 * this machine besides them: the facts `albert doctor` checks and `albert setup cuda` acts on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';

export type ProviderName = 'cpu' | 'cuda' | 'webgpu';
export const PROVIDER_NAMES: readonly ProviderName[] = ['cpu', 'cuda', 'webgpu'];

/** The npm package that ships the CUDA provider built for onnxruntime 1.29.0 against CUDA 13. */
export const CUDA_PROVIDER_PACKAGE = 'com.github.asus4.onnxruntime.linux-x64-gpu';
export const CUDA_PROVIDER_PACKAGE_VERSION = '0.4.9';
/** How a user installs it: npm's own command (no change to their package.json). */
export const CUDA_PROVIDER_INSTALL = `npm install --no-save ${CUDA_PROVIDER_PACKAGE}@${CUDA_PROVIDER_PACKAGE_VERSION}`;
/** Where that package keeps the two libraries onnxruntime-node loads for the CUDA provider. */
export const CUDA_PROVIDER_PACKAGE_DIR = 'Plugins/Linux/x64';
export const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'] as const;
/** What the CUDA provider links against (cuDNN only for kernels ALBERT does not use). */
export const CUDA_LIBRARIES = ['libcudart.so.13', 'libcublas.so.13', 'libcublasLt.so.13', 'libcurand.so.10'] as const;

/** onnxruntime-node's package folder. */
export function ortPackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
}

export function ortVersion(): string {
  return (JSON.parse(readFileSync(join(ortPackageDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The folder of onnxruntime-node's native binding, where it also looks for provider libraries. */
export function ortBinaryDir(): string {
  return join(ortPackageDir(), 'bin', 'napi-v6', platform(), arch());
}

/** The folders the dynamic loader searches besides its cache: LD_LIBRARY_PATH's. */
function libraryPathDirs(): string[] {
  return (process.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '');
}

let ldconfigCache: string | null = null;
function ldconfigListing(): string {
  if (ldconfigCache === null) {
    try {
      ldconfigCache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      try {
        ldconfigCache = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      } catch {
        ldconfigCache = '';
      }
    }
  }
  return ldconfigCache;
}

/** Where the dynamic loader would find a shared library (LD_LIBRARY_PATH first, then its cache), or null. */
export function findSharedLibrary(name: string): string | null {
  for (const d of libraryPathDirs()) if (existsSync(join(d, name))) return join(d, name);
  const line = ldconfigListing()
    .split('\n')
    .find((l) => l.trim().startsWith(`${name} `));
  const m = line?.match(/=>\s*(\S+)/);
  return m ? m[1] : null;
}

/** The NVIDIA kernel driver's version line, or null without one. */
export function nvidiaDriver(): string | null {
  const file = '/proc/driver/nvidia/version';
  if (!existsSync(file)) return null;
  return readFileSync(file, 'utf8').split('\n')[0].trim();
}

/** Vulkan ICD manifests: VK_ICD_FILENAMES when set, else the standard folders. */
export function vulkanIcds(): string[] {
  const set = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
  if (set) return set.split(':').filter((f) => f !== '');
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => join(d, f)) : []));
}

/** A Debian package's installed version, or null (not installed, or not Debian). */
export function debianPackageVersion(pkg: string): string | null {
  try {
    const v = execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return v === '' ? null : v;
  } catch {
    return null;
  }
}
