/**
 * A model's split of normalized text (UTF-8 bytes): piece i is bytes[bounds[i], bounds[i+1])
 * with vocabulary id ids[i] (the unknown id for text the vocabulary lacks).
 */
export interface Segmentation {
  ids: number[];
  bounds: number[];
}

/** What the unigram, BPE, word and char models have in common. */
export interface SegmentationModel {
  segment(normalized: Uint8Array): Segmentation;
}
