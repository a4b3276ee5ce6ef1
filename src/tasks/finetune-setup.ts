/**
 * What every fine-tuning task resolves the same way before its data: the model config (given,
 * the resumed run's, or the initial checkpoint's, with fine-tuning's dropout settings applied)
 * and the SentencePiece model that came with the checkpoint.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spmModelNextTo } from '../export/export.ts';
import { loadAlbertConfig, type AlbertConfig } from '../model/config.ts';
import { loadConfigForCheckpoint } from '../model/weights/load.ts';
import { OptionError } from '../util/errors.ts';

export interface FinetuneConfigOptions {
  config?: string | AlbertConfig;
  initCheckpoint?: string;
  /** The dropout before the head (default 0.1, the original's). */
  dropoutProb?: number;
  /** Overrides the encoder's dropout for fine-tuning. */
  albertDropoutRate?: number;
}

/** The config of a fine-tuning run; a resumed run keeps the config it was started with. */
export function resolveFinetuneConfig(o: FinetuneConfigOptions, saved: AlbertConfig | null): AlbertConfig {
  let cfg: AlbertConfig;
  if (typeof o.config === 'object') cfg = o.config;
  else if (o.config) cfg = loadAlbertConfig(o.config);
  else if (saved) return saved;
  else if (o.initCheckpoint) {
    const c = loadConfigForCheckpoint(o.initCheckpoint);
    if (!c) throw new OptionError(`{initCheckpoint} ${o.initCheckpoint} has no albert_config.json or config.json next to it: pass {config}`);
    cfg = c;
  } else throw new OptionError('missing {config} (a preset name such as base, a config JSON file, or a directory holding one) or {initCheckpoint}');
  // Fine-tuning's dropout settings replace the pretrained config's.
  cfg = { ...cfg, classifierDropoutProb: o.dropoutProb ?? 0.1 };
  if (o.albertDropoutRate !== undefined) cfg = { ...cfg, hiddenDropoutProb: o.albertDropoutRate, attentionProbsDropoutProb: o.albertDropoutRate };
  return cfg;
}

/** The SentencePiece model next to an initial checkpoint (in its directory, or beside its file). */
export function spmNextToCheckpoint(initCheckpoint: string | undefined): string | undefined {
  if (!initCheckpoint) return undefined;
  return spmModelNextTo(existsSync(join(initCheckpoint, 'config.json')) ? initCheckpoint : join(initCheckpoint, '..'));
}

/** A task's default schedule and sizes (the original script's flags). */
export interface TrainingRecipe {
  maxSeqLength: number;
  trainBatchSize: number;
  learningRate: number;
  trainStep: number;
  warmupStep: number;
}

/** The options with the recipe's value wherever the user left one out. */
export function withRecipe<O extends Partial<TrainingRecipe>>(o: O, r: TrainingRecipe): O & TrainingRecipe {
  return {
    ...o,
    maxSeqLength: o.maxSeqLength ?? r.maxSeqLength,
    trainBatchSize: o.trainBatchSize ?? r.trainBatchSize,
    learningRate: o.learningRate ?? r.learningRate,
    trainStep: o.trainStep ?? r.trainStep,
    warmupStep: o.warmupStep ?? r.warmupStep,
  };
}
