/**
 * SQuAD feature files (the original's --train_feature_file / --predict_feature_file): the
 * windows of a SQuAD JSON file as TFRecords of tf.train.Example, one record per window with the
 * original's feature names (input_ids, input_mask, segment_ids, p_mask, start_positions,
 * end_positions, is_impossible, unique_ids) and, for post-processing, the window's maps
 * (example_index, doc_span_*, token_to_orig_start/end, token_is_max_context; the original keeps
 * those in a separate pickle, --predict_feature_left_file). The first record holds the key of
 * everything the windows depend on (the JSON file's bytes, the tokenizer file and settings, the
 * window settings); a file made for anything else is rebuilt, never read.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { bytesFeature, decodeExample, encodeExample, int64Feature, type Example } from '../../data/example.ts';
import { readTFRecordsSync, TFRecordWriter } from '../../data/tfrecord.ts';
import { UserError } from '../../util/errors.ts';
import type { SquadFeatures } from './features.ts';

const FORMAT = 'albert-compiler/squad-features@1';
const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** What the windows of a file depend on. */
export interface FeatureKeyParts {
  dataFile: string;
  spmModelFile: string;
  doLowerCase: boolean;
  maxSeqLength: number;
  docStride: number;
  maxQueryLength: number;
  training: boolean;
  version: string;
}

export function featureKey(p: FeatureKeyParts): string {
  return sha256(JSON.stringify({ format: FORMAT, data: sha256(readFileSync(p.dataFile)), spm: sha256(readFileSync(p.spmModelFile)), ...p, dataFile: undefined, spmModelFile: undefined }));
}

export async function writeSquadFeatureFile(path: string, key: string, f: SquadFeatures): Promise<void> {
  const w = TFRecordWriter.open(path);
  const S = f.seqLength;
  await w.write(encodeExample({ format: bytesFeature([FORMAT]), key: bytesFeature([key]), count: int64Feature([f.count]), seq_length: int64Feature([S]), skipped: bytesFeature([JSON.stringify(f.skipped)]) }));
  for (let i = 0; i < f.count; i++) {
    const row = (a: Int32Array): number[] => Array.from(a.subarray(i * S, (i + 1) * S));
    const x = f.features[i];
    await w.write(
      encodeExample({
        unique_ids: int64Feature([f.uniqueIds[i]]),
        input_ids: int64Feature(row(f.inputIds)),
        input_mask: int64Feature(row(f.inputMask)),
        segment_ids: int64Feature(row(f.segmentIds)),
        p_mask: int64Feature(row(f.pMask)),
        start_positions: int64Feature([f.startPositions[i]]),
        end_positions: int64Feature([f.endPositions[i]]),
        is_impossible: int64Feature([f.isImpossible[i]]),
        example_index: int64Feature([x.exampleIndex]),
        doc_span_index: int64Feature([x.docSpanIndex]),
        doc_span_start: int64Feature([x.docSpanStart]),
        doc_span_length: int64Feature([x.docSpanLength]),
        doc_offset: int64Feature([x.docOffset]),
        token_to_orig_start: int64Feature(Array.from(x.tokenToOrigStart)),
        token_to_orig_end: int64Feature(Array.from(x.tokenToOrigEnd)),
        token_is_max_context: int64Feature(Array.from(x.tokenIsMaxContext)),
      }),
    );
  }
  await w.close();
}

function ints(ex: Example, name: string, n: number, where: string): number[] {
  const v = ex.get(name);
  if (!v || v.kind !== 'int64' || v.values.length !== n) throw new UserError(`${where}: feature "${name}" is missing or has the wrong length`);
  return v.values;
}

function text(ex: Example, name: string): string | null {
  const v = ex.get(name);
  return v && v.kind === 'bytes' && v.values.length === 1 ? new TextDecoder().decode(v.values[0]) : null;
}

/** The windows stored in `path` when it was written for `key`; null when it is absent or made for other settings. */
export function readSquadFeatureFile(path: string, key: string): SquadFeatures | null {
  if (!existsSync(path)) return null;
  const records = readTFRecordsSync(path);
  const first = records.next();
  if (first.done) return null;
  const head = decodeExample(first.value.data, `${path} record 0`);
  if (text(head, 'format') !== FORMAT || text(head, 'key') !== key) return null;
  const count = ints(head, 'count', 1, path)[0];
  const S = ints(head, 'seq_length', 1, path)[0];
  const f: SquadFeatures = {
    count,
    seqLength: S,
    inputIds: new Int32Array(count * S),
    inputMask: new Int32Array(count * S),
    segmentIds: new Int32Array(count * S),
    pMask: new Int32Array(count * S),
    startPositions: new Int32Array(count),
    endPositions: new Int32Array(count),
    isImpossible: new Int32Array(count),
    uniqueIds: new Int32Array(count),
    features: [],
    skipped: JSON.parse(text(head, 'skipped') ?? '[]') as SquadFeatures['skipped'],
  };
  let i = 0;
  for (const rec of records) {
    if (i >= count) throw new UserError(`${path}: more windows than the ${count} its first record announces`);
    const where = `${path} record ${i + 1}`;
    const ex = decodeExample(rec.data, where);
    f.uniqueIds[i] = ints(ex, 'unique_ids', 1, where)[0];
    f.inputIds.set(ints(ex, 'input_ids', S, where), i * S);
    f.inputMask.set(ints(ex, 'input_mask', S, where), i * S);
    f.segmentIds.set(ints(ex, 'segment_ids', S, where), i * S);
    f.pMask.set(ints(ex, 'p_mask', S, where), i * S);
    f.startPositions[i] = ints(ex, 'start_positions', 1, where)[0];
    f.endPositions[i] = ints(ex, 'end_positions', 1, where)[0];
    f.isImpossible[i] = ints(ex, 'is_impossible', 1, where)[0];
    f.features.push({
      exampleIndex: ints(ex, 'example_index', 1, where)[0],
      docSpanIndex: ints(ex, 'doc_span_index', 1, where)[0],
      docSpanStart: ints(ex, 'doc_span_start', 1, where)[0],
      docSpanLength: ints(ex, 'doc_span_length', 1, where)[0],
      docOffset: ints(ex, 'doc_offset', 1, where)[0],
      tokenToOrigStart: Int32Array.from(ints(ex, 'token_to_orig_start', S, where)),
      tokenToOrigEnd: Int32Array.from(ints(ex, 'token_to_orig_end', S, where)),
      tokenIsMaxContext: Uint8Array.from(ints(ex, 'token_is_max_context', S, where)),
    });
    i++;
  }
  if (i !== count) throw new UserError(`${path}: ${i} windows, its first record announces ${count} (a file cut short?)`);
  return f;
}
