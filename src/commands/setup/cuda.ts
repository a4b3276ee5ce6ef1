import { Flags } from '@oclif/core';
import { AlbertCommand } from '../base.ts';
import { snakeKeys } from '../json-keys.ts';

export default class SetupCuda extends AlbertCommand {
  static override summary = "Put onnxruntime's CUDA provider libraries where onnxruntime-node loads them.";
  static override description =
    'Copies libonnxruntime_providers_shared.so and libonnxruntime_providers_cuda.so (onnxruntime 1.29.0, CUDA 13) from the npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 into onnxruntime-node\'s binding folder. Install that package first (npm install --no-save com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9). The CUDA 13 runtime, cuBLAS and cuRAND must be on the library path too: `albert doctor` checks everything.';
  static override examples = ['npm install --no-save com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 && <%= config.bin %> setup cuda && <%= config.bin %> doctor --provider cuda'];

  static override flags = {
    from: Flags.string({ description: 'the provider package folder (default: found in node_modules)' }),
    json: Flags.boolean({ default: false, description: 'print a JSON summary on stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SetupCuda);
    const { installCudaProvider } = await import('../../backends/cuda/setup.ts');
    const r = installCudaProvider({ from: flags.from });
    if (flags.json) {
      await this.writeStdout(`${JSON.stringify(snakeKeys(r as unknown as Record<string, unknown>, ['copied']), null, 2)}\n`);
      return;
    }
    for (const c of r.copied) this.note(`installed ${c.file} (${(c.bytes / 2 ** 20).toFixed(1)} MiB)`);
    this.note('next: albert doctor --provider cuda');
  }
}
