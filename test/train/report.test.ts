/**
 * The HTML report's charts and the quickstart report built from a small synthetic run (no
 * training): y axes fitted to the data, the legend outside the plot area, hover titles on the
 * points, the learning-rate and gradient-norm charts, and the majority baseline (not "chance:
 * 50%") beside the sentence-order accuracy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport, gradNormPoints, type ReportInput } from '../../src/train/quickstart-report.ts';
import { fitYRange, formatValue, lineChart, renderTrainingReport, type ReportChart } from '../../src/train/report.ts';

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const num = (tag: string, attr: string): number => {
  const m = new RegExp(`\\s${attr}="([-\\d.e]+)"`).exec(tag);
  assert.ok(m, `${attr} in ${tag}`);
  return Number(m[1]);
};

/** The plot rectangle, the legend's boxes (swatches and labels, text as its line box), the y tick values and the hover titles of an SVG chart. */
function parseChart(svg: string): { plot: Box; legend: Box[]; yTicks: number[]; titles: string[]; reference: number | null; width: number } {
  const plotTag = /<rect class="plot"[^>]*>/.exec(svg)?.[0];
  assert.ok(plotTag, 'a plot rectangle');
  const plot = { x: num(plotTag, 'x'), y: num(plotTag, 'y'), w: num(plotTag, 'width'), h: num(plotTag, 'height') };
  const legendSvg = /<g class="legend">(.*?)<\/g>/s.exec(svg)?.[1] ?? '';
  const legend: Box[] = [];
  for (const t of legendSvg.match(/<rect [^>]*>/g) ?? []) legend.push({ x: num(t, 'x'), y: num(t, 'y'), w: num(t, 'width'), h: num(t, 'height') });
  for (const t of legendSvg.match(/<line [^>]*>/g) ?? []) legend.push({ x: num(t, 'x1'), y: num(t, 'y1') - 1, w: num(t, 'x2') - num(t, 'x1'), h: 2 });
  for (const m of legendSvg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)) {
    const size = num(` ${m[1]}`, 'font-size');
    // A text's line box: from an ascent above its baseline to a descent below it.
    legend.push({ x: num(` ${m[1]}`, 'x'), y: num(` ${m[1]}`, 'y') - size, w: 6.2 * m[2].length, h: size * 1.3 });
  }
  const yTicks = [...svg.matchAll(/<text [^>]*text-anchor="end"[^>]*>([^<]*)<\/text>/g)].map((m) => Number(m[1]));
  const titles = [...svg.matchAll(/<circle [^>]*><title>([^<]*)<\/title><\/circle>/g)].map((m) => m[1]);
  const ref = /<line class="reference"[^>]*>/.exec(svg)?.[0];
  return { plot, legend, yTicks, titles, reference: ref ? num(ref, 'y1') : null, width: num(svg.slice(0, 200), 'width') };
}

const overlaps = (a: Box, b: Box): boolean => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

const points = (n: number, f: (i: number) => number, every = 1): { step: number; value: number }[] => Array.from({ length: n }, (_, i) => ({ step: (i + 1) * every, value: f(i) }));

describe('report charts', () => {
  it('fit the y axis to the data within the bounds, with a margin', () => {
    const r = fitYRange([0.42, 0.9, 0.61], { min: 0, max: 1 });
    assert.ok(r.lo >= 0.3 && r.lo <= 0.42, `lo ${r.lo}`);
    assert.ok(r.hi >= 0.9 && r.hi <= 1, `hi ${r.hi}`);
    assert.ok(r.ticks.length >= 3 && r.ticks[0] >= r.lo && r.ticks[r.ticks.length - 1] <= r.hi + 1e-12);
    // Bounds are limits, not forced ends; they do cut the margin.
    const loss = fitYRange([2.1, 6.3], { min: 0 });
    assert.ok(loss.lo > 1 && loss.lo <= 2.1 && loss.hi >= 6.3 && loss.hi < 8, `${loss.lo}..${loss.hi}`);
    assert.equal(fitYRange([0.01, 0.98], { min: 0, max: 1 }).lo, 0);
    assert.equal(fitYRange([0.01, 0.98], { min: 0, max: 1 }).hi, 1);
    // A flat curve (a constant learning rate) gets a range around it; tiny values stay readable.
    const flat = fitYRange([1e-4, 1e-4]);
    assert.ok(flat.lo < 1e-4 && flat.hi > 1e-4);
    assert.equal(formatValue(1e-4), '1.00e-4');
    assert.equal(formatValue(0.61904), '0.619');
  });

  it('keep the legend outside the plot area, the reference line visible, and give each point a hover title', () => {
    const chart: ReportChart = {
      title: 'Sentence-order accuracy',
      yLabel: 'accuracy',
      curves: [
        { label: 'training batch', colour: '#4a7bd0', points: points(30, (i) => 0.45 + 0.015 * i, 10) },
        { label: 'held-out', colour: '#d07a2a', points: points(6, (i) => 0.5 + 0.07 * i, 50) },
      ],
      yMin: 0,
      yMax: 1,
      reference: { label: 'majority baseline 61.9% (always 1: swapped or from another document)', value: 0.619 },
    };
    const c = parseChart(lineChart(chart));
    assert.ok(c.yTicks[0] >= 0.3, `the axis starts near the data (ticks ${c.yTicks}), not at 0`);
    assert.ok(c.yTicks[c.yTicks.length - 1] <= 1);
    assert.ok(c.reference !== null && c.reference > c.plot.y && c.reference < c.plot.y + c.plot.h, 'the baseline line inside the plot');
    assert.equal(c.legend.length, 6, 'three swatches and three labels');
    for (const b of c.legend) {
      assert.ok(!overlaps(b, c.plot), `legend box ${JSON.stringify(b)} overlaps the plot ${JSON.stringify(c.plot)}`);
      assert.ok(b.x >= 0 && b.x + b.w <= c.width && b.y >= 0, `legend box ${JSON.stringify(b)} inside the chart`);
    }
    assert.equal(c.titles.length, 36, 'one hover title per point');
    assert.ok(c.titles.includes('held-out, step 300: 0.85'), c.titles.join(' | '));
  });

  it('wrap a long legend into rows above the plot, and thin the hover points of a long curve', () => {
    const curves = ['one', 'two', 'three', 'four', 'five'].map((n, k) => ({ label: `a rather long curve label number ${n}`, colour: '#333', points: points(1000, (i) => Math.sin(i / 50) + k) }));
    const c = parseChart(lineChart({ title: 'many', yLabel: 'y', curves }));
    assert.ok(c.plot.y > 40, 'the legend rows push the plot down');
    for (const b of c.legend) assert.ok(!overlaps(b, c.plot) && b.x + b.w <= c.width, JSON.stringify(b));
    assert.ok(c.titles.length <= 5 * 201 && c.titles.length >= 5 * 100, `${c.titles.length} hover titles`);
    assert.ok(c.titles.includes('a rather long curve label number five, step 1000: ' + formatValue(Math.sin(999 / 50) + 4)), 'the last point is one of them');
  });
});

/** A quickstart run's figures, made up: what buildReport reads of each stage's result. */
function syntheticRun(): ReportInput {
  const steps = 200;
  const history = points(40, (i) => i, 5).map(({ step }) => ({
    step,
    loss: 6 - step / 60,
    learning_rate: step <= 20 ? (1e-2 * step) / 20 : 1e-2 * (1 - (step - 20) / 180),
    masked_lm_accuracy: 0.1 + step / 800,
    sentence_order_accuracy: 0.55 + step / 2000,
  }));
  const evals = [50, 100, 150, 200].map((step) => ({ step, loss: 5 - step / 100, masked_lm_accuracy: 0.15 + step / 1000, sentence_order_accuracy: 0.6 + step / 4000 }));
  const finalEval = {
    ...evals[3], masked_lm_loss: 2.5, sentence_order_loss: 0.5, batches: 10, examples: 640, masked_tokens: 5000,
    frequency_baseline: { token_id: 7, accuracy: 0.12 }, sentence_order_majority: { label: 1, accuracy: 0.619 }, seconds: 1,
  };
  const run = (init: 'pretrained' | 'fresh', acc: number[]) => {
    const e = acc.map((a, i) => ({ step: 25 * (i + 1), seconds: 0.1, examples: 300, eval_loss: 0.6, accuracy: a, macro_f1: a - 0.1 }));
    return { init, outputDir: `qs/finetune/${init}`, evals: e, final: e[e.length - 1], best: { step: 100, accuracy: Math.max(...acc) }, history: [], finalTrainLoss: 0.5, stepsRun: 100, trainSeconds: 10, seconds: 12 };
  };
  return {
    result: {
      finalEval, evals, history, finalStep: steps, stepsRun: steps, trainSeconds: 60, tokensPerSecond: 5000, numParameters: 123456,
      best: { step: 200, metric: 'masked_lm_accuracy', value: 0.35, dir: 'qs/pretrain/best' },
      settings: { optimizer: 'lamb', learning_rate: 0.01, num_warmup_steps: 20, train_batch_size: 32, max_seq_length: 64, max_predictions_per_seq: 10, seed: 1 },
    } as unknown as ReportInput['result'],
    finetune: {
      task: 'sentence order', files: { train: 'train.tsv', dev: 'dev.tsv' }, trainExamples: 4000, devExamples: 300,
      majorityBaseline: { accuracy: 0.52, macro_f1: 0.34, label: 'ordered' },
      settings: { steps: 100, batchSize: 16, maxSeqLength: 64, learningRate: 1e-4, warmupSteps: 10, optimizer: 'adamw', evalEvery: 25, dropout: 0 },
      pretrained: run('pretrained', [0.55, 0.7, 0.8, 0.85]),
      fresh: run('fresh', [0.5, 0.52, 0.55, 0.6]),
    } as unknown as ReportInput['finetune'],
    stages: [{ name: 'pretrain ALBERT', seconds: 60, detail: '' }],
    seconds: 100,
    baselinePiece: '▁the',
    config: { hiddenSize: 128, embeddingSize: 64, numHiddenLayers: 4, numAttentionHeads: 4, intermediateSize: 512, vocabSize: 200 } as ReportInput['config'],
    steps,
    threads: 2,
    documents: 400,
    data: { train: 5000, held: 640, vocab: 200 },
    sentenceOrderMajority: { label: 1, accuracy: 0.619 },
    gradNorms: points(200, (i) => 2 / (1 + i / 20)),
  };
}

describe('quickstart report', () => {
  it('puts the majority baseline of the held-out labels beside the sentence-order accuracy, not "chance: 50%"', () => {
    const r = syntheticRun();
    const report = buildReport(r);
    assert.ok(!/chance/i.test(report.summary), report.summary);
    assert.match(report.summary, /65\.0% of the time, against 61\.9% for always answering the most frequent label of the held-out pairs \(1: swapped or from another document\)/);
    const html = renderTrainingReport(report);
    assert.ok(!/chance/i.test(html), 'no "chance" anywhere');
    assert.ok(html.includes('<th>majority baseline (sentence order)</th><td>0.6190 (always label 1: swapped or from another document)</td>'));
    assert.ok(html.includes('<th>final dev accuracy</th><td>0.8500</td><td>0.6000</td><td>0.5200 (always &quot;ordered&quot;)</td>'));
    const sop = report.charts.find((c) => c.title === 'Sentence-order accuracy')!;
    assert.equal(sop.reference?.value, 0.619);
    // Without a known majority there is no reference line rather than a made-up one.
    const unknown = buildReport({ ...r, sentenceOrderMajority: null });
    assert.equal(unknown.charts.find((c) => c.title === 'Sentence-order accuracy')!.reference, undefined);
    assert.match(unknown.summary, /an unknown majority baseline/);
  });

  it('draws learning-rate and gradient-norm curves, every chart with its legend clear of the plot and hover values', () => {
    const r = syntheticRun();
    const report = buildReport(r);
    assert.deepEqual(report.charts.map((c) => c.title), ['Loss', 'Masked-LM accuracy', 'Sentence-order accuracy', 'Learning rate', 'Gradient norm']);
    const lr = report.charts[3].curves[0].points;
    assert.equal(lr.length, 40);
    assert.equal(Math.max(...lr.map((p) => p.value)), 1e-2);
    // The history points lack grad_norm here: the step events' norms at the history's steps.
    const gn = report.charts[4].curves[0].points;
    assert.deepEqual(gn.map((p) => p.step), r.result.history.map((h) => h.step));
    assert.equal(gn[0].value, 2 / (1 + 4 / 20));
    const html = renderTrainingReport(report);
    const svgs = html.match(/<svg .*?<\/svg>/gs) ?? [];
    assert.equal(svgs.length, 6, 'the fine-tuning chart and five charts');
    for (const svg of svgs) {
      const c = parseChart(svg);
      for (const b of c.legend) assert.ok(!overlaps(b, c.plot), `legend over the plot in ${svg.slice(0, 120)}`);
      assert.ok(c.titles.length > 0, 'hover titles');
    }
    assert.ok(html.includes('<h2>Learning rate</h2><svg ') && html.includes('<h2>Gradient norm</h2><svg '));
    // The fine-tuning chart's axis starts near its curves and the 52% baseline, not at 0.
    const ft = parseChart(svgs[0]);
    assert.ok(ft.yTicks[0] >= 0.4 && ft.yTicks[0] <= 0.5, `ticks ${ft.yTicks}`);
    assert.ok(!/https?:\/\//.test(html.replace(/xmlns="[^"]*"/g, '')), 'no external resources');
    assert.ok(!/<script/.test(html), 'hover values need no script');
  });

  it('takes the gradient norms from the history when its points carry them', () => {
    const history = [{ step: 5, grad_norm: 1.5 }, { step: 10, grad_norm: 1.2 }];
    assert.deepEqual(gradNormPoints(history, [{ step: 5, value: 9 }]), [{ step: 5, value: 1.5 }, { step: 10, value: 1.2 }]);
    assert.deepEqual(gradNormPoints([{ step: 5 }], [{ step: 4, value: 3 }, { step: 5, value: 2 }]), [{ step: 5, value: 2 }]);
    // A resumed run whose history steps this process did not run: all the events it has.
    assert.deepEqual(gradNormPoints([{ step: 1 }], [{ step: 4, value: 3 }]), [{ step: 4, value: 3 }]);
  });
});

describe('report charts without data', () => {
  it('say why, and put x ticks on whole steps', () => {
    assert.equal(lineChart({ title: 't', yLabel: 'y', curves: [{ label: 'a', colour: '#000', points: [] }], noData: '(not recorded)' }), '<p>(not recorded)</p>');
    const svg = lineChart({ title: 't', yLabel: 'y', curves: [{ label: 'a', colour: '#000', points: points(3, (i) => i) }] });
    const xTicks = [...svg.matchAll(/<text [^>]*text-anchor="middle" font-size="11">([^<]*)<\/text>/g)].map((m) => Number(m[1]));
    assert.deepEqual(xTicks, [1, 2, 3]);
  });
});
