import { Flags } from '@oclif/core';
import { AlbertCommand } from './base.ts';
import { snakeKeys } from './json-keys.ts';

const PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;

export default class Doctor extends AlbertCommand {
  static override summary = 'Check which execution providers (cpu, cuda, webgpu) work on this machine, and how to fix those that do not.';
  static override description =
    "For each provider: what it needs (CUDA: the NVIDIA driver, the provider libraries in onnxruntime-node's folder, the CUDA 13 runtime, cuBLAS and cuRAND; WebGPU: the Vulkan loader and a Vulkan driver, Mesa's lavapipe 25.x for software rendering), whether it is there, the exact fix where not, and whether a session opens, runs a tiny model and agrees with the CPU (each tried in a child process; a software-Vulkan WebGPU session takes ~20 s). Exits 1 when the CPU provider, or a provider named with --provider, does not work.";
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --provider cuda --json'];

  static override flags = {
    provider: Flags.string({ multiple: true, options: [...PROVIDERS], description: 'check only these providers (repeatable; default: all)' }),
    json: Flags.boolean({ default: false, description: 'print one JSON document on stdout' }),
    probe: Flags.string({ options: [...PROVIDERS], hidden: true, description: 'internal: try a session on this provider and print the result as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    const lib = await import('../backends/doctor.ts');
    if (flags.probe) {
      await this.writeStdout(`${JSON.stringify(await lib.probeProvider(flags.probe as (typeof PROVIDERS)[number]))}\n`);
      return;
    }
    const named = flags.provider as (typeof PROVIDERS)[number][] | undefined;
    const checks = lib.diagnose({ providers: named ?? [...PROVIDERS] });
    const required = new Set<string>(['cpu', ...(named ?? [])]);
    const failed = [...required].filter((p) => checks.some((c) => c.provider === p) && !lib.usable(checks, p as (typeof PROVIDERS)[number]));
    if (flags.json) {
      const usable = Object.fromEntries((named ?? PROVIDERS).map((p) => [p, lib.usable(checks, p)]));
      // usable is keyed by provider name (data).
      await this.writeStdout(`${JSON.stringify(snakeKeys({ usable, checks }, ['checks']), null, 2)}\n`);
    } else {
      const lines: string[] = [];
      for (const c of checks) {
        lines.push(`${c.provider.padEnd(8)} ${c.check.padEnd(19)} ${c.ok ? 'ok     ' : 'MISSING'}  ${c.detail}`);
        if (c.fix) lines.push(`${''.padEnd(29)}fix: ${c.fix}`);
      }
      const verdict = (named ?? PROVIDERS).map((p) => `${p} ${lib.usable(checks, p) ? 'usable' : 'not usable'}`).join(', ');
      await this.writeStdout(`${lines.join('\n')}\n${verdict}\n`);
    }
    if (failed.length > 0) this.exit(1);
  }
}
