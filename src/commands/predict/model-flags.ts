/**
 * The flags every `albert predict` command loads its model with (an export or a checkpoint),
 * and the load options they give; each command adds its `--model` flag (whose help names the
 * head it needs) and its own inputs.
 */
import { Flags } from '@oclif/core';
import { allowNonFiniteFlag } from '../base.ts';
import { parseDevice, type Device } from '../../backends/device.ts';
import { aka } from '../flag-names.ts';

export const modelLoadFlags = {
  'spm-model-file': Flags.string({ description: 'SentencePiece model (default: spiece.model in the export, or next to the checkpoint)' }),
  config: Flags.string({ char: 'c', ...aka('for a checkpoint: preset, config file or directory (default: the config next to it)', 'albert-config-file') }),
  'do-lower-case': Flags.boolean({ allowNo: true, description: "lower-case the text (default: the export's tokenizer_config.json, else on)" }),
  threads: Flags.integer({ min: 1, description: 'intra-op threads (default: all cores)' }),
  device: Flags.string({ default: 'cpu', description: 'where the model runs: cpu, webgpu or cuda[:N] (`albert doctor` says which work here)' }),
  'allow-nonfinite-weights': allowNonFiniteFlag,
};

export interface ModelLoadFlags {
  model: string;
  'spm-model-file'?: string;
  config?: string;
  'do-lower-case'?: boolean;
  threads?: number;
  device?: string;
  'allow-nonfinite-weights': boolean;
}

/** The library's load options from the shared flags. */
export function modelLoadOptions(flags: ModelLoadFlags, log: (line: string) => void): {
  model: string;
  spmModelFile?: string;
  config?: string;
  doLowerCase?: boolean;
  threads?: number;
  device?: Device;
  allowNonFinite: boolean;
  log: (line: string) => void;
} {
  return {
    model: flags.model,
    spmModelFile: flags['spm-model-file'],
    config: flags.config,
    doLowerCase: flags['do-lower-case'],
    threads: flags.threads,
    ...(flags.device ? { device: parseDevice(flags.device) } : {}),
    allowNonFinite: flags['allow-nonfinite-weights'],
    log,
  };
}
