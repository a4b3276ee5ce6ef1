// Small generated inputs for the export tests: a SentencePiece model trained the way ALBERT's
// was (pad 0, unk 1, [CLS] 2, [SEP] 3, [MASK] 4, a few user-defined symbols), and HF checkpoint
// directories of the tiny config with random weights.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetConfig, type AlbertConfig } from '../../src/model/config.ts';
import { modelParams, type HeadName, type ParamSpec } from '../../src/model/params.ts';
import { saveHfModel, type ClassifierLabels } from '../../src/model/weights/save-hf.ts';
import { decodeModelProto } from '../../src/text/model-proto.ts';
import { trainUnigram } from '../../src/text/train/unigram-trainer.ts';

/** The sentences the tokenizer tests compare on: accents, digits with commas, upper case, symbols. */
export const SENTENCES = [
  'The capital of France is Paris.',
  'Café, naïve Zürich résumé and the Ångström.',
  'He paid 1,000 dollars, then 2,500,000 more; 3,4,5, done.',
  'NASA AND IBM WROTE THE REPORT',
  'Élodie (from Kraków) said - "hello" - twice.',
  "``Quoted'' text, with ``two'' marks.",
  '  lots   of   spaces  between  words  ',
  'Straße ﬁne ＡＢＣ １２３ crème brûlée',
  'Price: 12,345.67 euros (about 13,000 dollars).',
  'McDonald and O’Brien met in São Paulo in 1,999.',
  'tabs\tand\nnewlines\r\nin text',
  'Zoë said 7,000,000 times: hello world!',
];

const WORDS = (
  'the of and to in a is that for it as was with be by on not he this are or his from at which ' +
  'capital france paris model tokenizer sentence piece compiler gradient tensor graph layer attention ' +
  'million thousand percent dollars euros price market report company government university research ' +
  'hello world said times about between words text marks quoted spaces'
).split(' ');
const NAMES = ['Alice', 'Bob', 'Élodie', 'Zoë', 'NASA', 'IBM', 'McDonald', 'Kraków', 'Zürich', 'São Paulo', 'café', 'naïve', 'résumé', 'Ångström', 'crème', 'brûlée', 'Straße'];
const NUMBERS = ['1,000', '2,500,000', '12,345.67', '13,000', '1,999', '7,000,000', '3.14', '42', '100'];
const SYMBOLS = ['(', ')', '-', '.', ',', ';', ':', '!', '"', '``', "''"];

/** A deterministic corpus (LCG), one sentence per line. */
export function corpus(lines = 3000): string {
  let s = 12345;
  const r = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.floor((s / 4294967296) * n);
  };
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const words: string[] = [];
    const n = 4 + r(10);
    for (let j = 0; j < n; j++) {
      const k = r(10);
      let w = k < 6 ? WORDS[r(WORDS.length)] : k < 8 ? NAMES[r(NAMES.length)] : k < 9 ? NUMBERS[r(NUMBERS.length)] : SYMBOLS[r(SYMBOLS.length)];
      if (r(8) === 0) w = w.toUpperCase();
      words.push(w);
    }
    out.push(words.join(' '));
  }
  return `${out.join('\n')}\n`;
}

export interface SpmModel {
  path: string;
  pieces: number;
  /** Which trainer made it. */
  trainer: 'spm_train' | 'src/text/train';
}

function hasSpmTrain(): boolean {
  try {
    execFileSync('spm_train', ['--help'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    // spm_train --help exits non-zero on some versions; only a missing binary is ENOENT.
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * Trains a unigram model on corpus(): with the sentencepiece library's spm_train when it is
 * installed (Debian `sentencepiece`; its nmt_nfkc charsmap exercises the Precompiled
 * normalizer), else with our own trainer (identity normalizer), saying so.
 */
export function trainSpm(dir: string): SpmModel {
  const input = join(dir, 'corpus.txt');
  writeFileSync(input, corpus());
  const prefix = join(dir, 'sp');
  let trainer: SpmModel['trainer'] = 'spm_train';
  if (hasSpmTrain()) {
    execFileSync('spm_train', [
      `--input=${input}`, `--model_prefix=${prefix}`, '--model_type=unigram', '--vocab_size=160', '--hard_vocab_limit=false',
      '--pad_id=0', '--unk_id=1', '--bos_id=-1', '--eos_id=-1', '--control_symbols=[CLS],[SEP],[MASK]',
      '--user_defined_symbols=(,),-,.', '--character_coverage=0.9995', '--random_seed=1', '--num_threads=1', '--minloglevel=2',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
  } else {
    process.stdout.write('# spm_train (Debian package sentencepiece) is not installed: training the test tokenizer with src/text/train\n');
    trainer = 'src/text/train';
    trainUnigram({ input: [input], vocabSize: 160, modelPrefix: prefix, userDefinedSymbols: ['(', ')', '-', '.'], seed: 1 });
  }
  const path = `${prefix}.model`;
  return { path, pieces: decodeModelProto(readFileSync(path), path).pieces.length, trainer };
}

/** The tiny config with the tokenizer's vocabulary size. */
export function tinyConfig(vocabSize: number): AlbertConfig {
  return { ...presetConfig('tiny')!, vocabSize };
}

/** Random values for every parameter (biases and LayerNorm too, so nothing is trivially 0 or 1). */
export function randomValues(params: ParamSpec[], seed = 1): Map<string, Float32Array> {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  return new Map(params.map((p) => [p.name, Float32Array.from({ length: p.shape.reduce((a, d) => a * d, 1) }, () => next() * 0.4)]));
}

/** An HF checkpoint directory (config.json, model.safetensors, spiece.model) of the tiny config. */
export function writeCheckpoint(
  dir: string,
  cfg: AlbertConfig,
  head: HeadName,
  opts: { numLabels?: number; spm?: string; seed?: number; labels?: ClassifierLabels } = {},
): { dir: string; params: ParamSpec[]; values: Map<string, Float32Array> } {
  mkdirSync(dir, { recursive: true });
  const params = modelParams(cfg, head, { numLabels: opts.numLabels });
  const values = randomValues(params, opts.seed);
  saveHfModel(dir, cfg, params, values, { spmModelFile: opts.spm, head, labels: opts.labels });
  return { dir, params, values };
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `albert-export-${tag}-`));
}
