/**
 * The export directory, in the layout HuggingFace optimum writes and transformers.js reads:
 *
 *   config.json              HF AlbertConfig (model_type albert, architectures, id2label, ...)
 *   onnx/model.onnx          the model (transformers.js loads onnx/model.onnx for fp32)
 *   tokenizer.json           the tokenizer in HF "tokenizers" format
 *   tokenizer_config.json    tokenizer_class AlbertTokenizer and its flags
 *   special_tokens_map.json
 *   spiece.model             the SentencePiece model itself (HF's AlbertTokenizer, and ours)
 *
 * Files are written to temp names and renamed only once all are written, so a failure leaves
 * what the directory held before.
 */
import { classifierLabelFields, type ClassifierLabels } from '../model/weights/save-hf.ts';
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OptionError, UserError } from '../util/errors.ts';
import { removeTemp } from '../util/atomic-write.ts';
import { fsReason } from '../util/fs-reason.ts';
import { makeDir } from '../util/make-dir.ts';
import { toHfJson, type AlbertConfig } from '../model/config.ts';
import { headDefinition } from '../model/heads/registry.ts';
import type { ExportHead } from './export-graph.ts';
import type { SpecialPieces } from './tokenizer-json.ts';

export const MODEL_FILE = 'onnx/model.onnx';
export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const SPECIAL_TOKENS_FILE = 'special_tokens_map.json';
export const SPM_FILE = 'spiece.model';

const LAYOUT_FILES = [CONFIG_FILE, MODEL_FILE, TOKENIZER_FILE, TOKENIZER_CONFIG_FILE, SPECIAL_TOKENS_FILE, SPM_FILE];

/** One file of the export: its path inside the directory and its bytes or text. */
export interface ExportFile {
  path: string;
  data: Uint8Array | string;
}

/** The HF model class for a head (squad2 has none in HF: its encoder loads as AlbertModel). */
export function architectureOf(head: ExportHead): string {
  return headDefinition(head).hf.architecture;
}

type ConfigValue = string | number | boolean | string[] | Record<string, string | number>;

/** What this tool records about the export in config.json (HF keeps unknown keys as attributes). */
export interface ExportInfo {
  head: ExportHead;
  opset: number;
  numChoices?: number;
}

/**
 * config.json: HF's AlbertConfig for the head. id2label/label2id carry the number of labels
 * (HF reads num_labels from them) and, given `labels`, their names and problem_type; the token
 * ids are the special pieces' ids in spiece.model.
 */
export function hfConfigJson(
  cfg: AlbertConfig,
  info: ExportInfo,
  opts: { numLabels?: number; labels?: ClassifierLabels; special?: SpecialPieces | null },
): Record<string, ConfigValue | Record<string, ConfigValue>> {
  const out: Record<string, ConfigValue | Record<string, ConfigValue>> = { architectures: [architectureOf(info.head)], ...toHfJson(cfg) };
  const sp = opts.special;
  if (sp) {
    if (sp.pad) out.pad_token_id = sp.pad.id;
    out.bos_token_id = sp.cls.id;
    out.eos_token_id = sp.sep.id;
  }
  if (headDefinition(info.head).hf.labelFields) Object.assign(out, classifierLabelFields(opts.numLabels ?? 2, opts.labels));
  out.torch_dtype = 'float32';
  out.albert_compiler = {
    head: info.head,
    opset: info.opset,
    ...(info.numChoices !== undefined ? { num_choices: info.numChoices } : {}),
  };
  return out;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false; // makeDir says what is wrong with it
  }
}

/**
 * Writes the files under `dir` (sub-directories created), all-or-nothing, and removes the
 * layout's files it does not write. Returns the paths written.
 */
export function writeExportFiles(dir: string, files: readonly ExportFile[]): string[] {
  if (isFile(dir)) throw new OptionError(`{outDir} ${dir} is a file, not a directory`);
  makeDir(dir, 'output directory');
  const suffix = `.partial-${process.pid}`;
  const staged: [tmp: string, final: string][] = [];
  let writing = dir;
  try {
    for (const f of files) {
      const final = join(dir, f.path);
      writing = final;
      makeDir(dirname(final));
      const tmp = `${final}${suffix}`;
      staged.push([tmp, final]);
      writeFileSync(tmp, f.data);
    }
    writing = dir;
    for (const [tmp, final] of staged) renameSync(tmp, final);
    // A file of the layout this export does not write (tokenizer files of an earlier export
    // with a tokenizer) would describe another model: it goes.
    const written = new Set(files.map((f) => f.path));
    for (const f of LAYOUT_FILES) if (!written.has(f)) rmSync(join(dir, f), { force: true });
  } catch (e) {
    for (const [tmp] of staged) removeTemp(tmp);
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot write ${writing}: ${fsReason(e)}`);
  }
  return staged.map(([, final]) => final);
}
