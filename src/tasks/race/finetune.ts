/**
 * `albert finetune race`: the original run_race.py as a library call. RACE's JSON files become
 * four sequences per question ([CLS] article [SEP] question-with-option [SEP]), the
 * multiple-choice head scores each and a softmax picks the answer; training, evaluation, the best
 * checkpoint by overall accuracy and the result files come from the shared classifier
 * fine-tuning (the classification task in its multiple-choice form). Metrics: accuracy on the
 * middle-school and high-school questions and on all.
 */
import { join } from 'node:path';
import { AlbertTokenizer } from '../../text/albert-tokenizer.ts';
import { OptionError } from '../../util/errors.ts';
import { accuracy } from '../classification/metrics.ts';
import { finetuneClassifier, type ClassificationData, type FinetuneOptions, type FinetuneResult, type SplitData } from '../classification/finetune.ts';
import { spmNextToCheckpoint, withRecipe } from '../finetune-setup.ts';
import { RACE_NUM_CHOICES, readRaceDir, readRaceFile, type RaceExample, type RaceSplit } from './data.ts';
import { choiceFeatures } from './features.ts';

export interface RaceFinetuneOptions extends Omit<FinetuneOptions, 'trainBatchSize' | 'learningRate' | 'trainStep' | 'warmupStep' | 'maxSeqLength'> {
  /** The folder holding RACE/ (or RACE itself): {train,dev,test}/{middle,high}/*.txt. */
  dataDir?: string;
  /** Single files (.txt/.json with one example, or .jsonl) instead of the folder's splits. */
  trainFile?: string;
  evalFile?: string;
  predictFile?: string;
  maxSeqLength?: number;
  maxQaLength?: number;
  trainBatchSize?: number;
  learningRate?: number;
  trainStep?: number;
  warmupStep?: number;
}

/** run_race.py's settings with the v2 recipe (lr 1e-5, 12000 steps, 1000 warmup, batch 32, seq 512, qa 128). */
export const RACE_DEFAULTS = { maxSeqLength: 512, maxQaLength: 128, trainBatchSize: 32, learningRate: 1e-5, trainStep: 12000, warmupStep: 1000 } as const;

const LETTERS = ['A', 'B', 'C', 'D'];

export function raceData(o: RaceFinetuneOptions): ClassificationData {
  const spm = o.spmModelFile ?? spmNextToCheckpoint(o.initCheckpoint);
  if (!spm) throw new OptionError('no tokenizer: pass {spmModelFile} (a SentencePiece .model)');
  const maxSeqLength = o.maxSeqLength ?? RACE_DEFAULTS.maxSeqLength;
  const maxQaLength = o.maxQaLength ?? RACE_DEFAULTS.maxQaLength;
  let tokenizer: AlbertTokenizer | null = null;
  const tok = (): AlbertTokenizer => (tokenizer ??= AlbertTokenizer.fromSpmFile(spm, { doLowerCase: o.doLowerCase ?? true }));
  const read = (split: RaceSplit, file: string | undefined, option: string): { examples: RaceExample[]; file: string } => {
    if (file) return { examples: readRaceFile(file, undefined, { numChoices: RACE_NUM_CHOICES }), file };
    if (!o.dataDir) throw new OptionError(`{${option}} or {dataDir} is needed for this run`);
    return { examples: readRaceDir(o.dataDir, split), file: join(o.dataDir, 'RACE', split) };
  };
  const split = (name: RaceSplit, file: string | undefined, option: string): SplitData & { levels: string[] } => {
    const r = read(name, file, option);
    if (r.examples.length === 0) throw new OptionError(`{${option}} ${r.file}: no questions`);
    const { features, levels } = choiceFeatures(r.examples, tok(), { maxSeqLength, maxQaLength, numChoices: RACE_NUM_CHOICES });
    return { split: name, file: r.file, examples: [], features, levels };
  };
  // The metrics split the dev questions by level; dev() records their order.
  let devLevels: string[] = [];
  return {
    name: 'race',
    labels: LETTERS,
    choices: RACE_NUM_CHOICES,
    train: () => split('train', o.trainFile, 'trainFile'),
    dev: () => {
      const d = split('dev', o.evalFile, 'evalFile');
      devLevels = d.levels;
      return [{ ...d, suffix: '', predictionsFile: 'eval_predictions.tsv' }];
    },
    test: () => [{ ...split('test', o.predictFile, 'predictFile'), resultsFile: 'test_results.tsv', submission: 'test_predictions.tsv' }],
    metrics: (p, l) => {
      const m: Record<string, number> = { accuracy: accuracy(p, l) };
      for (const level of ['middle', 'high']) {
        const idx = devLevels.flatMap((v, i) => (v === level ? [i] : []));
        if (idx.length > 0) m[`accuracy_${level}`] = accuracy(idx.map((i) => p[i]), idx.map((i) => l[i]));
      }
      return m;
    },
    mainMetric: 'accuracy',
    settings: { max_qa_length: { value: maxQaLength, option: 'maxQaLength' } },
  };
}

export async function finetuneRace(o: RaceFinetuneOptions): Promise<FinetuneResult> {
  return finetuneClassifier(raceData(o), withRecipe(o, RACE_DEFAULTS));
}
