/**
 * Files albert writes go to a temporary name next to their final path and are renamed into
 * place, so a reader (or a run killed half-way) never sees half a file.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { UserError } from './errors.ts';

export function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`cannot write ${path}: ${(e as Error).message}`);
  }
}
