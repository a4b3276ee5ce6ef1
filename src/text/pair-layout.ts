// The input layout of ALBERT's fine-tuning examples (classifier_utils.convert_single_example):
// [CLS] A [SEP] B [SEP] with segment ids, the original truncation and zero padding.
import { UserError } from '../ir/errors.ts';

/** One example as the model takes it, padded to maxSeqLength. */
export interface EncodedPair {
  inputIds: number[];
  inputMask: number[];
  segmentIds: number[];
}

/**
 * The [CLS] a [SEP] b [SEP] layout with the original truncation and padding, on ids. Shared by
 * the SentencePiece and WordPiece tokenizers.
 */
export function layoutPair(a: number[], b: number[], maxSeqLength: number, ids: { clsId: number; sepId: number; padId: number }): EncodedPair {
  if (!Number.isInteger(maxSeqLength) || maxSeqLength < 2) {
    throw new UserError(`max_seq_length ${maxSeqLength} is too small: [CLS] and [SEP] alone take 2 positions`);
  }
  a = a.slice();
  b = b.slice();
  if (b.length > 0) {
    // _truncate_seq_pair: pop from the longer list until the pair fits.
    while (a.length + b.length > maxSeqLength - 3) {
      if (a.length > b.length) a.pop();
      else b.pop();
    }
  } else if (a.length > maxSeqLength - 2) {
    a = a.slice(0, maxSeqLength - 2);
  }
  const inputIds = [ids.clsId, ...a, ids.sepId];
  const segmentIds = inputIds.map(() => 0);
  // As in the original, a b cut down to nothing leaves no second [SEP].
  if (b.length > 0) {
    inputIds.push(...b, ids.sepId);
    for (let i = 0; i <= b.length; i++) segmentIds.push(1);
  }
  const inputMask = inputIds.map(() => 1);
  // The original pads with id 0, which is <pad> in ALBERT's models.
  const pad = ids.padId >= 0 ? ids.padId : 0;
  while (inputIds.length < maxSeqLength) {
    inputIds.push(pad);
    inputMask.push(0);
    segmentIds.push(0);
  }
  return { inputIds, inputMask, segmentIds };
}
