// Access to the committed SentencePiece fixtures (test/fixtures/spm, made by make-fixtures.sh)
// and to the reference binaries when they are installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBrotli } from '../fixtures/spm/expected.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/spm/', import.meta.url));

/** The fixture models: name -> what make-fixtures.sh trained. */
export const MODELS = ['albert', 'nfkc-cf', 'bpe', 'byte-fallback', 'suffix', 'char', 'word'] as const;
export type ModelName = (typeof MODELS)[number];

export function modelBytes(name: ModelName): Uint8Array {
  return readBrotli(join(FIXTURES, `${name}.model.br`));
}

/** Writes the fixture model to a temp dir (for the CLI and the spm_* binaries); returns its path. */
export function modelFile(name: ModelName, dir = mkdtempSync(join(tmpdir(), 'albert-spm-'))): string {
  const path = join(dir, `${name}.model`);
  writeFileSync(path, modelBytes(name));
  return path;
}

/** Why the spm_* reference binaries cannot run here, or null when they can. */
export function spmMissing(): string | null {
  for (const bin of ['spm_encode', 'spm_decode', 'spm_train']) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (r.error) return `${bin} is not installed (Debian package "sentencepiece"): the live comparison with the reference library is skipped`;
  }
  return null;
}

/** Runs an spm_* binary on stdin text; returns its stdout lines (the last newline dropped). */
export function spm(bin: string, args: string[], input: string): string[] {
  const out = execFileSync(bin, args, { input, maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'pipe'] }).toString('utf8');
  const lines = out.split('\n');
  lines.pop();
  return lines;
}
