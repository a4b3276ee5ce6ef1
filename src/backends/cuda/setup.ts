/**
 * `albert setup cuda`: puts the CUDA provider's two libraries where onnxruntime-node loads them
 * from (its own binding folder), taken from the npm package that ships them for onnxruntime
 * 1.29 (never a download from outside the package registries: npm fetched the package).
 */
import { copyFileSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { OptionError, UserError } from '../../util/errors.ts';
import { CUDA_PROVIDER_FILES, CUDA_PROVIDER_INSTALL, CUDA_PROVIDER_PACKAGE, CUDA_PROVIDER_PACKAGE_DIR, CUDA_PROVIDER_PACKAGE_VERSION, ortBinaryDir } from '../providers.ts';

export interface CudaSetupOptions {
  /** The provider package's folder (default: resolved from node_modules). */
  from?: string;
  /** Where to put the libraries (default: onnxruntime-node's binding folder). */
  to?: string;
  /** Where the package is looked for when `from` is not given (default: this project's node_modules). */
  searchFrom?: string;
}

export interface CudaSetupResult {
  from: string;
  copied: { file: string; bytes: number }[];
}

function packageDir(from: string | undefined, searchFrom: string): string {
  if (from !== undefined) {
    if (!existsSync(from)) throw new OptionError(`{from} ${from}: no such folder`);
    return from;
  }
  try {
    return dirname(createRequire(searchFrom).resolve(`${CUDA_PROVIDER_PACKAGE}/package.json`));
  } catch {
    throw new OptionError(`the CUDA provider package is not installed: run ${CUDA_PROVIDER_INSTALL} (about 180 MB, from the npm registry), then albert setup cuda again (or give its folder with {from})`);
  }
}

export function installCudaProvider(opts: CudaSetupOptions = {}): CudaSetupResult {
  const pkg = packageDir(opts.from, opts.searchFrom ?? import.meta.url);
  const src = join(pkg, CUDA_PROVIDER_PACKAGE_DIR);
  const to = opts.to ?? ortBinaryDir();
  for (const f of CUDA_PROVIDER_FILES) {
    if (!existsSync(join(src, f))) throw new UserError(`${join(src, f)}: missing (is ${pkg} the ${CUDA_PROVIDER_PACKAGE} package, version ${CUDA_PROVIDER_PACKAGE_VERSION}?)`);
  }
  if (!existsSync(to)) throw new UserError(`${to}: onnxruntime-node's binding folder does not exist (reinstall onnxruntime-node)`);
  const copied = CUDA_PROVIDER_FILES.map((f) => {
    // A temp name, then rename: a session opening meanwhile never loads half a library.
    const tmp = join(to, `.${f}.${process.pid}.tmp`);
    try {
      copyFileSync(join(src, f), tmp);
      renameSync(tmp, join(to, f));
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new UserError(`cannot write ${join(to, f)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return { file: join(to, f), bytes: statSync(join(to, f)).size };
  });
  return { from: pkg, copied };
}
