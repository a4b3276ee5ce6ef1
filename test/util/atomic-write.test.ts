import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomic } from '../../src/util/atomic-write.ts';
import { UserError } from '../../src/util/errors.ts';
import { TFRecordWriter } from '../../src/data/tfrecord.ts';
import { writeSafetensors } from '../../src/model/weights/safetensors.ts';
import { writeExportFiles } from '../../src/export/hf-layout.ts';
import { albert, assertOneLineError } from '../helpers/cli.ts';
import { mountTmpfs, unmount } from '../helpers/tmpfs.ts';

const root = mkdtempSync(join(tmpdir(), 'albert-atomic-'));

/** Files under `dir` (recursively) whose names mark a temporary file. */
function temps(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => /\.(tmp|partial)-\d+$/.test(n));
}

function errorOf(f: () => void): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected an error');
}

async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected a rejection');
}

describe('atomic writes remove their temporary file on failure', () => {
  it('writeAtomic onto a directory: one line, no temp left', () => {
    const dir = join(root, 'target-dir');
    mkdirSync(dir);
    const e = errorOf(() => writeAtomic(dir, 'text'));
    assert.ok(e instanceof UserError);
    assert.equal(e.message, `cannot write ${dir}: is a directory`);
    assert.deepEqual(temps(root), []);
  });

  it('albert inspect --out DIR (an existing directory): one line, no <out>.tmp-PID', async () => {
    const dir = join(root, 'inspect-out');
    mkdirSync(dir);
    const r = await albert('inspect', '--config', 'tiny', '--head', 'classifier', '--out', dir);
    assertOneLineError(r, new RegExp(`cannot write ${dir}: is a directory$`));
    assert.deepEqual(temps(root), []);
  });

  describe('a full disk (a 64 KiB tmpfs)', () => {
    const full = join(root, 'full');
    mkdirSync(full);
    const why = mountTmpfs(full, 'size=64k');
    if (why) console.log(`atomic writes: the full-disk cases are skipped: ${why}`);
    const skip = (t: { skip: (m: string) => void }): boolean => {
      if (why) t.skip(why);
      return why !== null;
    };
    const big = new Uint8Array(200_000).fill(7);

    it('writeAtomic: "no space left on device", no temp left', (t) => {
      if (skip(t)) return;
      const e = errorOf(() => writeAtomic(join(full, 'big.bin'), big));
      assert.equal(e.message, `cannot write ${join(full, 'big.bin')}: no space left on device`);
      assert.deepEqual(readdirSync(full), []);
    });

    it('TFRecordWriter: a failed write or close removes the temp file', async (t) => {
      if (skip(t)) return;
      for (const name of ['a.tfrecord', 'b.tfrecord.gz']) {
        const w = TFRecordWriter.open(join(full, name), { bufferSize: 4096 });
        const e = await rejectionOf(
          (async () => {
            // Random bytes: gzip cannot shrink them below the tmpfs.
            for (let i = 0; i < 50; i++) await w.write(Uint8Array.from({ length: 8192 }, () => Math.floor(Math.random() * 256)));
            await w.close();
          })(),
        );
        assert.ok(e instanceof UserError, String(e));
        assert.match(e.message, /no space left on device/);
        assert.deepEqual(readdirSync(full), [], name);
      }
    });

    it('writeSafetensors and writeExportFiles: no temp left', (t) => {
      if (skip(t)) return;
      const data = new Float32Array(50_000);
      const e = errorOf(() => writeSafetensors(join(full, 'model.safetensors'), [['w', { dtype: 'float32', shape: [50_000], data }]]));
      assert.match(e.message, /: no space left on device$/);
      assert.deepEqual(readdirSync(full), []);
      const x = errorOf(() => writeExportFiles(join(full, 'export'), [{ path: 'onnx/model.onnx', data: big }]));
      assert.match(x.message, /model\.onnx: no space left on device$/);
      assert.deepEqual(temps(full), []);
    });

    it('albert compile into it: exit 1, one line, no temp file left', async (t) => {
      if (skip(t)) return;
      const out = join(full, 'model');
      const r = await albert('compile', '--config', 'tiny', '--head', 'pretraining', '--mode', 'grad', '--out', out);
      assert.equal(r.code, 1);
      assertOneLineError(r, /model\.onnx: no space left on device$/);
      assert.deepEqual(temps(full), []);
    });

    it('unmounts', () => {
      if (!why) unmount(full);
    });
  });

  it('cleans up', () => {
    rmSync(root, { recursive: true, force: true });
  });
});
