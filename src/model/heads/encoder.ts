/** The encoder alone: its sequence and pooled outputs (HF's AlbertModel); no loss. */
import type { HeadDefinition } from './registry.ts';
import { tokenInputs } from './helpers.ts';

export const encoder: HeadDefinition<'encoder', true> = {
  name: 'encoder',
  exportable: true,
  numLabels: { kind: 'none' },
  signature: () => ({ infer: { inputs: tokenInputs(), outputs: ['last_hidden_state', 'pooler_output'] }, train: null }),
  params: () => [],
  classifierDropout: false,
  build: ({ encoder: enc }) => ({ outputs: { last_hidden_state: enc.sequenceOutput, pooler_output: enc.pooledOutput } }),
  hf: { architecture: 'AlbertModel', labelFields: false },
  // Any checkpoint holds the encoder: what the others do not match.
  recognise: { priority: 0, match: () => ({}) },
};
