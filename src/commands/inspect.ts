import { Args, Flags } from '@oclif/core';
import { kernelFlags, kernelsOf } from './kernel-flags.ts';
import { UserError } from '../ir/errors.ts';
import { HEAD_NAMES } from '../model/params.ts';
import { AlbertCommand } from './base.ts';
import { aka } from './flag-names.ts';
import { snakeKeys } from './json-keys.ts';

const FORMATS = ['text', 'json', 'dot', 'html'] as const;

/** The report's and the graph model's objects whose own keys are field names (snake-cased in --json). */
const JSON_OBJECTS = ['figures', 'ops', 'parameters', 'parameters.rows', 'inputs', 'outputs', 'flops', 'memory', 'graph', 'graph.values', 'graph.nodes', 'graph.scopes', 'graph.params', 'graph.outputs', 'graph.folds', 'graph.memory', 'graph.flops'];

/** "--dim predictions=20" flags into a binding. */
function parseDims(specs: string[] | undefined): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const s of specs ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\d+)$/.exec(s.trim());
    if (!m) throw new UserError(`--dim ${s}: expected NAME=N, e.g. predictions=20`);
    dims[m[1]] = Number(m[2]);
  }
  return dims;
}

export default class Inspect extends AlbertCommand {
  static override summary = 'Report on a model: op histogram, parameters, FLOPs, activation memory and the graph.';
  static override description =
    'Inspects a model.onnx file (ours or anyone\'s; a manifest.json beside it adds the parameters it names), an `albert compile` or `albert export` output directory, or the graph `albert compile` would emit for --config/--head/--mode. --format html writes one self-contained page: the graph drawn as collapsible scope boxes (the block ALBERT\'s layers share drawn once), with search, and beside it the parameters, FLOPs per scope and live activation bytes over the schedule with the peak. --format dot draws one cluster per scope for Graphviz; --format json (or --json) is one document with the report and the graph. FLOPs and memory are computed for --batch-size and --max-seq-length; other symbolic sizes are guessed and the guess is stated (set them with --dim). Parameters are counted when some op reads them, so a config, its compiled model.onnx and its export agree.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> build/tiny/model.onnx',
    '<%= config.bin %> <%= command.id %> --config base --head pretraining --mode grad --format html --output-file base.html',
    '<%= config.bin %> <%= command.id %> web/albert-base-v2 --format html --output-file export.html',
    '<%= config.bin %> <%= command.id %> --config base --head pretraining --format dot | dot -Tsvg > base.svg',
  ];

  static override args = {
    model: Args.string({ required: false, description: 'an ONNX model file, or a directory holding model.onnx or onnx/model.onnx' }),
  };

  static override flags = {
    config: Flags.string({ char: 'c', ...aka('inspect the compiled graph of this preset or config file instead of a model file', 'albert-config-file') }),
    head: Flags.string({ options: [...HEAD_NAMES], description: 'task head (with --config)' }),
    mode: Flags.string({ options: ['infer', 'grad', 'train'], default: 'infer', description: 'forward graph, gradient graph, or whole training step with the default optimizer (with --config)' }),
    'num-labels': Flags.integer({ min: 1, description: 'number of classes (classifier head)' }),
    'num-choices': Flags.integer({ min: 1, description: 'number of answer choices (multiple-choice head)' }),
    'keep-einsum': Flags.boolean({ default: false, description: 'show the graph before einsum lowering (with --config)' }),
    ...kernelFlags(),
    format: Flags.string({ char: 'f', options: [...FORMATS], description: 'output format (default text)' }),
    json: Flags.boolean({ default: false, description: 'the same as --format json' }),
    'batch-size': Flags.integer({ min: 1, default: 8, description: 'batch size for FLOPs and memory figures' }),
    'max-seq-length': Flags.integer({ min: 1, default: 128, ...aka('sequence length for FLOPs and memory figures', 'seq-length') }),
    dim: Flags.string({ multiple: true, multipleNonGreedy: true, description: 'value of another symbolic size for the figures, NAME=N (repeatable), e.g. predictions=20' }),
    // A file, not a directory: named as create-pretraining-data's --output-file.
    'output-file': Flags.string({ char: 'o', ...aka('write to this file instead of stdout', 'out') }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Inspect);
    if (args.model && flags.config) throw new UserError('give either a model file or --config, not both');
    if (!args.model && !flags.config) throw new UserError('give a model file to inspect, or --config with --head');
    if (flags.json && flags.format !== undefined && flags.format !== 'json') throw new UserError(`--json asks for --format json, not ${flags.format}: give one of them`);
    const format = (flags.json ? 'json' : flags.format ?? 'text') as (typeof FORMATS)[number];
    const figureOpts = { batchSize: flags['batch-size'], seqLength: flags['max-seq-length'], dims: parseDims(flags.dim) };
    const lib = await import('../inspect/index.ts');
    let text: string;
    if (args.model) {
      const file = lib.readOnnxFile(args.model);
      // The graph model gives the report its memory figures, so it is made for every format.
      const model = lib.onnxGraphModel(file, figureOpts);
      const report = lib.analyzeOnnx(file, figureOpts, model);
      text = lib.render(format, report, () => model);
    } else {
      if (!flags.head) throw new UserError('--config needs --head');
      const { buildModelGraph } = await import('../compile.ts');
      const graph = buildModelGraph({
        config: flags.config!,
        head: flags.head,
        mode: flags.mode as 'infer' | 'grad' | 'train',
        numLabels: flags['num-labels'],
        numChoices: flags['num-choices'],
        keepEinsum: flags['keep-einsum'],
        ...kernelsOf(flags),
      });
      const source = `config ${flags.config}, head ${flags.head}, mode ${flags.mode}`;
      const report = lib.analyzeGraph(graph, { ...figureOpts, source });
      text = lib.render(format, report, () => lib.irGraphModel(graph, figureOpts));
    }
    // One key style across the CLI's JSON: snake_case, as the original's outputs (names of ops,
    // parameters and symbols are data and stay as they are). The page's embedded graph keeps the
    // viewer's own field names.
    if (format === 'json') text = `${JSON.stringify(snakeKeys(JSON.parse(text) as Record<string, unknown>, JSON_OBJECTS), null, 2)}\n`;
    if (flags['output-file']) {
      const { writeAtomic } = await import('../util/atomic-write.ts');
      writeAtomic(flags['output-file'], text);
      this.note(`wrote ${flags['output-file']}`);
    } else {
      await this.writeStdout(text);
    }
  }
}
