import { basename } from 'node:path';
import { fusionFlags, fusionOf } from './kernel-flags.ts';
import { Flags } from '@oclif/core';
import { AlbertCommand, allowNonFiniteFlag } from './base.ts';
import { snakeKeys } from './json-keys.ts';
import { aka } from './flag-names.ts';

/** Kept in step with EXPORT_HEADS (src/export/export-graph.ts); listed here so --help stays fast. */
const HEADS = ['encoder', 'mlm', 'classifier', 'squad', 'squad2', 'multiple-choice'];

export default class Export extends AlbertCommand {
  static override summary = 'Export a checkpoint as an inference ONNX model in a HuggingFace/optimum directory (transformers.js loads it).';
  static override description =
    'Loads --init-checkpoint (a TF checkpoint prefix, a .safetensors file, a checkpoint directory or a released .tar.gz) with the config stored next to it (or --config), builds the inference graph of --head (default: the head the checkpoint holds; a pretraining checkpoint gives mlm), lowers Einsum (unless --keep-einsum) and writes to --output-dir: onnx/model.onnx (weights as initializers; int64 inputs input_ids, attention_mask, token_type_ids [batch, seq]; outputs named as in HF: last_hidden_state + pooler_output, logits, start_logits + end_logits (squad); for squad2, which also takes p_mask float32 [batch, seq] (1 outside the document), the beam of the original v2 head computed in the graph: start_top_log_probs, start_top_index, end_top_log_probs, end_top_index (5 x 5), cls_logits and start_logits; multiple-choice inputs are [batch, choices, seq] with --num-choices fixed), config.json, and from the SentencePiece model (--spm-model-file, or spiece.model / 30k-clean.model next to the checkpoint) tokenizer.json, tokenizer_config.json, special_tokens_map.json and spiece.model. Parameters the checkpoint lacks are initialised (seeded) and reported on stderr. The same inputs give the same bytes.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --init-checkpoint albert_base_v2.tar.gz --head mlm --output-dir web/albert-base-v2',
    '<%= config.bin %> <%= command.id %> --init-checkpoint hf/mnli --head classifier --output-dir web/mnli',
  ];

  // outDir: writeExport's.
  static override optionFlags = { outDir: '--output-dir' };

  static override flags = {
    'init-checkpoint': Flags.string({ required: true, description: 'TF checkpoint prefix, .safetensors file, checkpoint directory, or .tar.gz/.tgz archive' }),
    head: Flags.string({ options: HEADS, description: 'head to export (default: the one the checkpoint holds; pretraining -> mlm)' }),
    'output-dir': Flags.string({ char: 'o', required: true, ...aka('output directory (HF/optimum layout)', 'out') }),
    config: Flags.string({ char: 'c', ...aka('preset, config JSON file or directory (default: albert_config.json or config.json next to the checkpoint)', 'albert-config-file') }),
    'num-labels': Flags.integer({ min: 1, description: "number of classes of a classifier head (default: from the checkpoint; its config.json's label names and problem_type are kept when the numbers agree)" }),
    'num-choices': Flags.integer({ min: 2, description: 'answer choices of a multiple-choice model, a fixed dim of its inputs (default 4)' }),
    opset: Flags.integer({ default: 17, description: 'ONNX opset (only 17 for now)' }),
    'keep-einsum': Flags.boolean({ default: false, description: 'leave Einsum ops in the graph instead of lowering them to MatMul' }),
    ...fusionFlags('standard'),
    'spm-model-file': Flags.string({ description: 'SentencePiece model for the tokenizer files (default: spiece.model, 30k-clean.model or the only *.model next to the checkpoint)' }),
    'do-lower-case': Flags.boolean({ default: true, allowNo: true, description: 'the tokenizer lower-cases text (--no-do-lower-case for cased models)' }),
    'keep-accents': Flags.boolean({ default: false, description: 'the tokenizer keeps accents (no NFKD + accent stripping)' }),
    seed: Flags.integer({ description: 'seed for parameters the checkpoint lacks (default 12345)' }),
    'allow-nonfinite-weights': allowNonFiniteFlag,
    json: Flags.boolean({ default: false, description: 'print a JSON summary on stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Export);
    const { exportModel, writeExport } = await import('../export/export.ts');
    const { formatLoadReport } = await import('../model/weights/load.ts');
    const r = await exportModel({
      initCheckpoint: flags['init-checkpoint'],
      head: flags.head,
      config: flags.config,
      numLabels: flags['num-labels'],
      numChoices: flags['num-choices'],
      opset: flags.opset,
      keepEinsum: flags['keep-einsum'],
      fusion: fusionOf(flags),
      spmModelFile: flags['spm-model-file'],
      doLowerCase: flags['do-lower-case'],
      keepAccents: flags['keep-accents'],
      seed: flags.seed,
      allowNonFinite: flags['allow-nonfinite-weights'],
      log: (line) => this.note(line),
    });
    const outputDir = flags['output-dir'];
    const files = writeExport(r, outputDir);
    for (const line of formatLoadReport(r.report)) this.note(line);
    const io = (ts: { name: string; dtype: string; shape: (number | string)[] }[]): string => ts.map((t) => `${t.name} ${t.dtype}[${t.shape.join(', ')}]`).join(', ');
    this.note(`exported ${r.head} head in ${r.stats.seconds.toFixed(2)} s: ${r.stats.nodes} nodes, ${r.stats.parameters.toLocaleString('en-US')} parameters, opset ${r.opset}`);
    if (r.labels) this.note(`  labels  ${r.labels.names.join(', ')} (${r.labels.problemType})`);
    this.note(`  inputs  ${io(r.inputs)}`);
    this.note(`  outputs ${io(r.outputs)}`);
    this.note(`  wrote   ${outputDir}: ${files.map((f) => f.slice(outputDir.length).replace(/^[\\/]/, '')).join(', ')}${r.spmModelFile ? ` (tokenizer from ${basename(r.spmModelFile)})` : ''}`);
    if (flags.json) {
      const { report } = r;
      await this.writeStdout(
        `${JSON.stringify(snakeKeys({ outputDir, files, head: r.head, numLabels: r.numLabels, labels: r.labels ?? null, numChoices: r.numChoices, opset: r.opset, modelBytes: r.model.length, inputs: r.inputs, outputs: r.outputs, nodes: r.stats.nodes, ops: r.stats.ops, parameters: r.stats.parameters, seconds: r.stats.seconds, spmModelFile: r.spmModelFile ?? null, source: report.source, format: report.format, loaded: report.loaded, missing: report.missing, unexpected: report.unexpected, notes: report.notes }, ['labels', 'inputs', 'outputs']), null, 2)}\n`,
      );
    }
  }
}
