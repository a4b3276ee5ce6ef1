/**
 * Tokenizer-training benchmark: trains a unigram SentencePiece model on ~1 MB of generated
 * English-like text (or on the given files) at vocab 8000 and prints the time, next to spm_train
 * (Debian's sentencepiece, when installed) on the same text with the same settings, and the
 * pieces per word of both models on held-out text. Figures, not assertions.
 *   node --import tsx bench/train-tokenizer.ts [--vocab-size N] [--bytes N] [file ...]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { trainUnigram } from '../src/text/train/unigram-trainer.ts';
import { syntheticCorpus } from '../test/text/train/corpus.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'vocab-size': { type: 'string', default: '8000' }, bytes: { type: 'string', default: '1000000' } },
});
const vocabSize = Number(values['vocab-size']);
const dir = mkdtempSync(join(tmpdir(), 'bench-train-tokenizer-'));
let input = positionals;
const held = join(dir, 'held.txt');
writeFileSync(held, syntheticCorpus(100_000, 99).join('\n') + '\n');
if (input.length === 0) {
  const file = join(dir, 'corpus.txt');
  writeFileSync(file, syntheticCorpus(Number(values.bytes), 1).join('\n') + '\n');
  input = [file];
}

const t0 = performance.now();
const ours = trainUnigram({ input, vocabSize, modelPrefix: join(dir, 'ours') });
const oursSeconds = (performance.now() - t0) / 1000;
const s = ours.stats;
console.log(`input: ${input.join(', ')}: ${s.sentences} sentences, ${s.characters} characters, ${s.distinctWords} distinct words`);
console.log(`albert train-tokenizer (unigram, vocab ${vocabSize}): ${oursSeconds.toFixed(2)} s (${s.seedPieces} seed pieces, ${s.emIterations} EM iterations)`);

if (spawnSync('spm_train', ['--version']).error !== undefined) {
  console.log('spm_train not found: no comparison (Debian package sentencepiece)');
} else {
  const ref = join(dir, 'ref');
  const t1 = performance.now();
  execFileSync('spm_train', [
    `--input=${input.join(',')}`, `--model_prefix=${ref}`, `--vocab_size=${vocabSize}`, '--normalization_rule_name=identity',
    '--pad_id=0', '--unk_id=1', '--bos_id=-1', '--eos_id=-1', '--control_symbols=[CLS],[SEP],[MASK]', '--minloglevel=2',
    '--num_threads=2',
  ]);
  console.log(`spm_train (2 threads): ${((performance.now() - t1) / 1000).toFixed(2)} s`);
  const perWord = (model: string, file: string): number => {
    const pieces = execFileSync('spm_encode', [`--model=${model}`, `--input=${file}`], { maxBuffer: 1 << 28 }).toString();
    const words = execFileSync('wc', ['-w', file]).toString();
    return pieces.split(/\s+/).filter((x) => x !== '').length / Number(words.trim().split(/\s+/)[0]);
  };
  const source = positionals.length > 0 ? input[0] : held;
  console.log(`pieces per word on ${source === held ? 'held-out text' : source}: ours ${perWord(ours.modelPath, source).toFixed(4)}, spm_train ${perWord(`${ref}.model`, source).toFixed(4)}`);
}
