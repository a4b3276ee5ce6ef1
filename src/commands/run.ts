import { Flags } from '@oclif/core';
import { AlbertCommand } from './base.ts';
import { snakeKeys } from './json-keys.ts';
import { aka } from './flag-names.ts';

export default class Run extends AlbertCommand {
  static override summary = 'Run a compiled model on a generated batch and report its outputs and timing.';
  static override description =
    'Loads <model>/model.onnx with onnxruntime, feeds parameters from their initialisers and a synthetic batch of the given size (token ids, masks, labels in range), runs it --runs times and prints the outputs (scalars, or mean and max |x|) and the time per run. A smoke test and a quick benchmark for any compiled head and mode.';
  static override examples = ['<%= config.bin %> <%= command.id %> --model build/base-grad --batch-size 8 --max-seq-length 128'];

  // seqLength: runCompiled's name for the batch's sequence length.
  static override optionFlags = { seqLength: '--max-seq-length' };

  static override flags = {
    model: Flags.string({ char: 'm', required: true, description: 'directory written by `albert compile` (model.onnx + manifest.json)' }),
    'batch-size': Flags.integer({ min: 1, default: 8, description: 'batch size' }),
    'max-seq-length': Flags.integer({ min: 2, ...aka("sequence length of the batch (default: 128, or the model's max_seq_length if smaller)", 'seq-length') }),
    runs: Flags.integer({ min: 1, default: 1, description: 'number of runs (the first includes onnxruntime warm-up)' }),
    threads: Flags.integer({ min: 1, description: 'intra-op threads (default: all cores)' }),
    'no-memory-check': Flags.boolean({ default: false, description: 'run even when the memory the batch needs (as `albert inspect` estimates it) exceeds this machine\'s memory' }),
    seed: Flags.integer({ default: 1, description: 'seed for the synthetic batch and weights' }),
    device: Flags.string({ default: 'cpu', description: 'where to run: cpu, webgpu or cuda[:N] (`albert doctor` says which work here)' }),
    json: Flags.boolean({ default: false, description: 'print one JSON document on stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Run);
    const { runCompiled } = await import('../run-compiled.ts');
    const { parseDevice } = await import('../backends/target.ts');
    const report = await runCompiled(flags.model, {
      batchSize: flags['batch-size'],
      seqLength: flags['max-seq-length'],
      runs: flags.runs,
      threads: flags.threads,
      seed: flags.seed,
      noMemoryCheck: flags['no-memory-check'],
      device: parseDevice(flags.device),
    });
    if (flags.json) {
      await this.writeStdout(`${JSON.stringify(snakeKeys(report as unknown as Record<string, unknown>, ['outputs']), null, 2)}\n`);
      return;
    }
    this.note(`session created in ${report.sessionSeconds.toFixed(2)} s; runs: ${report.runSeconds.map((s) => `${s.toFixed(3)} s`).join(', ')}`);
    const lines = report.outputs.map((o) => {
      const shape = `[${o.shape.join(', ')}]`;
      const v = o.value !== undefined ? `= ${o.value.toPrecision(6)}` : `mean ${o.mean!.toExponential(3)}  max|x| ${o.maxAbs!.toExponential(3)}`;
      return `${o.name.padEnd(48)} ${o.dtype.padEnd(8)} ${shape.padEnd(16)} ${v}${o.finite ? '' : '  (NOT FINITE)'}`;
    });
    await this.writeStdout(`${lines.join('\n')}\n`);
  }
}
