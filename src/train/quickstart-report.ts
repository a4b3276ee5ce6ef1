/**
 * The quickstart's report.html: what pretraining reached against the frequency baseline, both
 * fine-tuning runs (pretrained vs fresh weights) against the majority baseline, the curves, the
 * settings and the timings. quickstart.ts runs the stages; this file only words and draws them.
 *
 * Every classification figure stands beside its majority baseline, computed from the labels of
 * the data it was evaluated on: the held-out sentence-order labels of pretraining are not
 * balanced (a one-sentence chunk always takes its B from another document, label 1, as in the
 * original), so "chance: 50%" would flatter the model.
 */
import type { AlbertConfig } from '../model/config.ts';
import type { PretrainResult } from '../tasks/pretraining/pretrain.ts';
import { ORDER_LABELS } from './quickstart-finetune-data.ts';
import type { QuickstartFinetune, QuickstartFinetuneRun, QuickstartResult } from './quickstart.ts';
import type { SentenceOrderMajority } from '../tasks/pretraining/evaluate.ts';
import type { Curve, CurvePoint, TrainingReport } from './report.ts';

export const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export interface ReportInput {
  result: PretrainResult;
  finetune: QuickstartFinetune;
  stages: QuickstartResult['stages'];
  seconds: number;
  baselinePiece: string;
  config: AlbertConfig;
  steps: number;
  threads: number;
  documents: number;
  data: { train: number; held: number; vocab: number };
  /** The held-out sentence-order labels' most frequent label and its rate (null: unknown). */
  sentenceOrderMajority: SentenceOrderMajority | null;
  /** Gradient norms by step, for a history whose points lack grad_norm (from the run's step events). */
  gradNorms?: CurvePoint[];
}

/** What each sentence-order label of the pretraining data means. */
export const SENTENCE_ORDER_LABEL_NAMES = ['in order', 'swapped or from another document'] as const;

/** "61.9% (always 1: swapped or from another document)". */
function majorityText(m: SentenceOrderMajority): string {
  return `${pct(m.accuracy)} (always ${m.label}: ${SENTENCE_ORDER_LABEL_NAMES[m.label] ?? '?'})`;
}

export function buildReport(r: ReportInput): TrainingReport {
  const p = r.result;
  const e = p.finalEval;
  const h = p.history;
  const ev = p.evals;
  const base = e?.frequency_baseline.accuracy ?? 0;
  const sop = r.sentenceOrderMajority;
  const curve = (label: string, colour: string, points: { step: number; value: number }[]): Curve => ({ label, colour, points });
  const summary = e
    ? `After ${p.finalStep} training steps, the model predicts ${pct(e.masked_lm_accuracy)} of the masked tokens of the held-out data correctly, ` +
      `against ${pct(base)} for always predicting the most frequent masked token ("${r.baselinePiece}"); it tells whether the second segment follows the first ${pct(e.sentence_order_accuracy)} of the time, ` +
      `against ${sop ? `${pct(sop.accuracy)} for always answering the most frequent label of the held-out pairs (${sop.label}: ${SENTENCE_ORDER_LABEL_NAMES[sop.label] ?? '?'})` : 'an unknown majority baseline'}. ` +
      `${finetuneSentence(r.finetune)} ` +
      `The whole run took ${(r.seconds / 60).toFixed(1)} minutes on ${r.threads} thread${r.threads === 1 ? '' : 's'}.`
    : `Trained ${p.finalStep} steps (no evaluation).`;
  const s = p.settings;
  return {
    title: 'ALBERT quickstart: pretraining, then fine-tuning',
    summary,
    sections: [
      {
        title: 'Final evaluation (held-out data)',
        rows: e
          ? [
              ['masked_lm_accuracy', e.masked_lm_accuracy.toFixed(4)],
              ['frequency baseline (masked LM)', `${base.toFixed(4)} (always "${r.baselinePiece}")`],
              ['masked_lm_loss', e.masked_lm_loss.toFixed(4)],
              ['sentence_order_accuracy', e.sentence_order_accuracy.toFixed(4)],
              ['majority baseline (sentence order)', sop ? `${sop.accuracy.toFixed(4)} (always label ${sop.label}: ${SENTENCE_ORDER_LABEL_NAMES[sop.label] ?? '?'})` : '-'],
              ['sentence_order_loss', e.sentence_order_loss.toFixed(4)],
              ['examples / masked tokens', `${e.examples} / ${e.masked_tokens}`],
              ['step', String(e.step)],
              ['best checkpoint', p.best ? `${p.best.dir} (step ${p.best.step}, ${p.best.metric} ${p.best.value.toFixed(4)})` : '-'],
            ]
          : [],
      },
      finetuneSection(r.finetune),
      {
        title: 'Settings',
        rows: [
          ['model', `ALBERT H=${r.config.hiddenSize} E=${r.config.embeddingSize} L=${r.config.numHiddenLayers} (one shared block) heads=${r.config.numAttentionHeads} I=${r.config.intermediateSize} vocab=${r.config.vocabSize}`],
          ['parameters', p.numParameters.toLocaleString('en-US')],
          ['optimizer', `${String(s.optimizer).toUpperCase()}, peak learning rate ${s.learning_rate}, ${s.num_warmup_steps} warmup steps, linear decay over ${r.steps} steps`],
          ['batch', `${s.train_batch_size} x ${s.max_seq_length} tokens, up to ${s.max_predictions_per_seq} masked per sequence`],
          ['data', `${r.documents} generated documents -> ${r.data.train.toLocaleString('en-US')} training examples; ${r.data.held.toLocaleString('en-US')} held-out examples`],
          [
            'fine-tuning',
            `sentence order, ${r.finetune.trainExamples.toLocaleString('en-US')} training / ${r.finetune.devExamples} dev pairs; ${r.finetune.settings.steps} AdamW steps of ${r.finetune.settings.batchSize} x ${r.finetune.settings.maxSeqLength}, ` +
              `peak learning rate ${r.finetune.settings.learningRate}, ${r.finetune.settings.warmupSteps} warmup steps, dropout ${r.finetune.settings.dropout}, evaluated every ${r.finetune.settings.evalEvery} steps; the same for both runs`,
          ],
          ['threads', String(r.threads)],
          ['seed', String(s.seed)],
        ],
      },
      {
        title: 'Time',
        rows: [
          ...r.stages.map((st): [string, string] => [st.name, `${st.seconds.toFixed(1)} s`]),
          ['training steps', p.stepsRun > 0 ? `${(p.trainSeconds / p.stepsRun).toFixed(3)} s/step, ${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tokens/s` : '(resumed at the end: no steps run)'],
          ['total', `${r.seconds.toFixed(1)} s`],
        ],
      },
    ],
    charts: [
      {
        title: 'Loss',
        yLabel: 'loss (MLM + SOP)',
        curves: [
          curve('training batch', '#4a7bd0', h.map((x) => ({ step: x.step, value: x.loss }))),
          curve('held-out', '#d07a2a', ev.map((x) => ({ step: x.step, value: x.loss }))),
        ],
        yMin: 0,
      },
      {
        title: 'Masked-LM accuracy',
        yLabel: 'accuracy',
        curves: [
          curve('training batch', '#4a7bd0', h.map((x) => ({ step: x.step, value: x.masked_lm_accuracy }))),
          curve('held-out', '#d07a2a', ev.map((x) => ({ step: x.step, value: x.masked_lm_accuracy }))),
        ],
        yMin: 0,
        yMax: 1,
        reference: { label: `frequency baseline ${pct(base)} (always "${r.baselinePiece}")`, value: base },
      },
      {
        title: 'Sentence-order accuracy',
        yLabel: 'accuracy',
        curves: [
          curve('training batch', '#4a7bd0', h.map((x) => ({ step: x.step, value: x.sentence_order_accuracy }))),
          curve('held-out', '#d07a2a', ev.map((x) => ({ step: x.step, value: x.sentence_order_accuracy }))),
        ],
        yMin: 0,
        yMax: 1,
        ...(sop ? { reference: { label: `majority baseline ${majorityText(sop)}`, value: sop.accuracy } } : {}),
      },
      {
        title: 'Learning rate',
        yLabel: 'learning rate',
        curves: [curve(`${String(s.optimizer).toUpperCase()}: ${s.num_warmup_steps} warmup steps, then linear decay`, '#2a9d6a', h.map((x) => ({ step: x.step, value: x.learning_rate })))],
        yMin: 0,
      },
      {
        title: 'Gradient norm',
        yLabel: 'gradient norm',
        curves: [curve('global norm of the gradients (training batch)', '#8a4fc0', gradNormPoints(h, r.gradNorms ?? []))],
        yMin: 0,
        noData: '(not recorded: this run trained no steps, and the saved training history has no gradient norms)',
      },
    ],
  };
}

/** The history's grad_norm where its points have it, else the step events' values at the history's steps (or all of them). */
export function gradNormPoints(history: { step: number; grad_norm?: number }[], events: CurvePoint[]): CurvePoint[] {
  const fromHistory = history.filter((x) => typeof x.grad_norm === 'number' && Number.isFinite(x.grad_norm)).map((x) => ({ step: x.step, value: x.grad_norm as number }));
  if (fromHistory.length > 0) return fromHistory;
  const at = new Map(events.map((p) => [p.step, p.value]));
  const atHistory = history.filter((x) => at.has(x.step)).map((x) => ({ step: x.step, value: at.get(x.step)! }));
  return atHistory.length > 0 ? atHistory : events;
}

function finetuneSentence(f: QuickstartFinetune): string {
  const a = f.pretrained.final;
  const b = f.fresh.final;
  if (!a || !b) return '';
  return (
    `Fine-tuned for ${f.settings.steps} steps to tell whether two consecutive held-out sentences are in their order or swapped, it reaches ${pct(Number(a.accuracy))} dev accuracy ` +
    `from the pretrained model against ${pct(Number(b.accuracy))} from fresh weights (majority baseline ${pct(f.majorityBaseline.accuracy)}).`
  );
}

function finetuneSection(f: QuickstartFinetune): TrainingReport['sections'][number] {
  const num = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(4) : '-');
  const cell = (run: QuickstartFinetuneRun, key: string): string => num(run.final?.[key]);
  const runs = [f.pretrained, f.fresh];
  const point = (run: QuickstartFinetuneRun): { step: number; value: number }[] => run.evals.map((e) => ({ step: e.step, value: Number(e.accuracy) }));
  return {
    title: 'Fine-tuning: pretrained vs fresh weights (sentence order, held-out dev pairs)',
    text:
      `Two consecutive sentences of a generated document, in their order or swapped (labels ${ORDER_LABELS.join(' / ')}): ${f.trainExamples.toLocaleString('en-US')} training pairs from the training documents, ` +
      `${f.devExamples} dev pairs from the held-out documents (${f.files.train}, ${f.files.dev}). The same classifier is fine-tuned twice with the same budget and settings ` +
      `(${f.settings.steps} AdamW steps of ${f.settings.batchSize} x ${f.settings.maxSeqLength}, peak learning rate ${f.settings.learningRate}, dropout ${f.settings.dropout}): ` +
      `once from the pretrained model (its classifier head fresh: a pretraining checkpoint has none) and once from freshly initialised weights.`,
    header: ['', 'pretrained', 'fresh weights', 'majority baseline'],
    rows: [
      ['final dev accuracy', cell(f.pretrained, 'accuracy'), cell(f.fresh, 'accuracy'), `${num(f.majorityBaseline.accuracy)} (always "${f.majorityBaseline.label}")`],
      ['final dev macro-F1', cell(f.pretrained, 'macro_f1'), cell(f.fresh, 'macro_f1'), num(f.majorityBaseline.macro_f1)],
      ['final dev loss', cell(f.pretrained, 'eval_loss'), cell(f.fresh, 'eval_loss'), '-'],
      ['best dev accuracy (step)', ...runs.map((run) => (run.best ? `${run.best.accuracy.toFixed(4)} (${run.best.step})` : '-')), '-'],
      ['final training loss', ...runs.map((run) => num(run.finalTrainLoss)), '-'],
      ['training time', ...runs.map((run) => (run.stepsRun > 0 ? `${run.trainSeconds.toFixed(1)} s (${((1000 * run.trainSeconds) / run.stepsRun).toFixed(0)} ms/step)` : '(resumed at the end)')), '-'],
      ['model', f.pretrained.outputDir, f.fresh.outputDir, '-'],
    ],
    chart: {
      title: 'Dev accuracy while fine-tuning',
      yLabel: 'dev accuracy',
      curves: [
        { label: 'from the pretrained model', colour: '#d07a2a', points: point(f.pretrained) },
        { label: 'from fresh weights', colour: '#4a7bd0', points: point(f.fresh) },
      ],
      yMin: 0,
      yMax: 1,
      reference: { label: `majority baseline ${pct(f.majorityBaseline.accuracy)} (always "${f.majorityBaseline.label}")`, value: f.majorityBaseline.accuracy },
    },
  };
}
