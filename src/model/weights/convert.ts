/**
 * Checkpoint conversion (`albert convert`): any checkpoint loadCheckpoint reads, written as a
 * HuggingFace model directory.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tryAcquireDirLock } from '../../util/dir-lock.ts';
import { OptionError, UserError } from '../../util/errors.ts';
import { loadAlbertConfig, type AlbertConfig } from '../config.ts';
import { isHeadName, modelParams, type HeadName } from '../params.ts';
import { headDefinition } from '../heads/registry.ts';
import { guessHead, loadConfigForCheckpoint, loadFromOpened, openCheckpoint, type LoadReport } from './load.ts';
import { saveHfModel } from './save-hf.ts';

export interface ConvertOptions {
  from: string;
  out: string;
  /** Preset, config file or directory; default: the config stored with the checkpoint. */
  config?: string;
  /** Default: the head whose parameters the checkpoint holds (guessHead). */
  head?: string;
  numLabels?: number;
  /** Default: spiece.model or 30k-clean.model next to the checkpoint, if there is one. */
  spmModelFile?: string;
  /** Seed for parameters the checkpoint lacks. */
  seed?: number;
  /** Load weights holding NaN or Inf instead of refusing them (for debugging; loadCheckpoint's allowNonFinite). */
  allowNonFinite?: boolean;
  log?: (line: string) => void;
}

export interface ConvertResult {
  config: AlbertConfig;
  head: HeadName;
  numLabels?: number;
  architecture: string;
  report: LoadReport;
  files: string[];
  tensors: number;
  spmModelFile?: string;
}

/** The SentencePiece model shipped with a checkpoint: HF's name, the release's name, or the only *.model. */
function spmModelNextTo(dir: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const n of ['spiece.model', '30k-clean.model']) if (names.includes(n)) return join(dir, n);
  const models = names.filter((n) => n.endsWith('.model'));
  return models.length === 1 ? join(dir, models[0]) : undefined;
}

export async function convertToHf(opts: ConvertOptions): Promise<ConvertResult> {
  if (opts.head !== undefined && !isHeadName(opts.head)) {
    throw new UserError(`unknown head "${opts.head}"`);
  }
  const explicitConfig = opts.config === undefined ? undefined : loadAlbertConfig(opts.config);
  const ckpt = await openCheckpoint(opts.from, { log: opts.log });
  try {
    const config = explicitConfig ?? loadConfigForCheckpoint(ckpt.dir);
    if (!config) {
      throw new OptionError(`${opts.from}: no albert_config.json or config.json next to the checkpoint: pass {config} <file|preset>`);
    }
    const guessed = guessHead(ckpt);
    const head = (opts.head as HeadName | undefined) ?? guessed.head;
    const numLabels = opts.numLabels ?? (head === guessed.head ? guessed.numLabels : undefined);
    if (headDefinition(head).numLabels.kind === 'option' && numLabels === undefined) {
      throw new OptionError(`${opts.from}: the checkpoint has no classifier layer to take the number of labels from: pass {numLabels}`);
    }
    const params = modelParams(config, head, { numLabels });
    const { values, report } = loadFromOpened(ckpt, params, { seed: opts.seed, log: opts.log, allowNonFinite: opts.allowNonFinite });
    const spmModelFile = opts.spmModelFile ?? spmModelNextTo(ckpt.dir);
    // One writer per output directory (src/util/dir-lock.ts); taken once the inputs are read.
    const lock = tryAcquireDirLock(opts.out, 'convert', { note: opts.log });
    let saved;
    try {
      saved = saveHfModel(opts.out, config, params, values, {
        spmModelFile,
        head,
        extraMetadata: { converted_by: 'albert-compiler' },
      });
    } finally {
      lock?.release();
    }
    return { config, head, numLabels, architecture: saved.architecture, report, files: saved.files, tensors: saved.tensors, spmModelFile };
  } finally {
    ckpt.close();
  }
}
