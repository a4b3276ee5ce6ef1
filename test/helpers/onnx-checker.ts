import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PY = '/usr/bin/python3';

/** Why the ONNX checker cannot run here, or null when it can (Debian's python3-onnx). */
export function onnxCheckerUnavailable(): string | null {
  try {
    execFileSync(PY, ['-c', 'import onnx'], { stdio: 'ignore' });
    return null;
  } catch {
    return `${PY} cannot import onnx (install the Debian package python3-onnx; .ci/run does)`;
  }
}

/** Runs onnx.checker.check_model with full_check (which includes ONNX shape inference). */
export function checkOnnxModel(model: Uint8Array): void {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-check-'));
  try {
    const path = join(dir, 'model.onnx');
    writeFileSync(path, model);
    execFileSync(PY, ['-c', 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`onnx.checker rejected the model: ${err.stderr?.toString().trim().split('\n').slice(-3).join(' | ') ?? err.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
