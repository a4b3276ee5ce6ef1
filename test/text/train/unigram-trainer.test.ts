import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../../src/ir/errors.ts';
import { decodeModelProto, ModelType, PieceType } from '../../../src/text/model-proto.ts';
import { SentencePieceProcessor } from '../../../src/text/sentencepiece.ts';
import { trainUnigram, type TrainUnigramResult } from '../../../src/text/train/unigram-trainer.ts';
import { syntheticCorpus } from './corpus.ts';

const HAS_SPM = spawnSync('spm_encode', ['--version']).error === undefined;
const NO_SPM = HAS_SPM ? false : 'spm_encode/spm_train not found (Debian package sentencepiece)';
const VOCAB = 2000;

/** Lines the tokenizer must handle: accents, CJK, digits, a rare symbol, odd spacing. */
const EXTRA = ['Le café du coin, déjà vu à Zürich.', '東京は日本の首都です。', 'In 1984 there were 42 of them.', 'A snowman ☃ and an Ωmega!', '  spaced   out  text ', 'naïve (façade) über'];

function spm(tool: string, args: string[], input?: string): string {
  return execFileSync(tool, args, { input, maxBuffer: 64 << 20, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

describe('trainUnigram', () => {
  const dir = mkdtempSync(join(tmpdir(), 'albert-spm-train-'));
  const train = join(dir, 'train.txt');
  const held = join(dir, 'held.txt');
  const heldLines = [...syntheticCorpus(40_000, 99), ...EXTRA];
  let ours: TrainUnigramResult;
  const logs: string[] = [];

  before(() => {
    writeFileSync(train, syntheticCorpus(200_000, 1).join('\n') + '\n');
    writeFileSync(held, heldLines.join('\n') + '\n');
    ours = trainUnigram({ input: [train], vocabSize: VOCAB, modelPrefix: join(dir, 'ours'), userDefinedSymbols: ['(', ')'], log: (l) => logs.push(l) });
  });

  it('writes ALBERT\'s special pieces first, then pieces by score, every required character among them', () => {
    const m = decodeModelProto(readFileSync(ours.modelPath));
    assert.equal(m.pieces.length, VOCAB);
    const head = m.pieces.slice(0, 7).map((p) => [p.piece, p.type]);
    assert.deepEqual(head, [
      ['<pad>', PieceType.CONTROL],
      ['<unk>', PieceType.UNKNOWN],
      ['[CLS]', PieceType.CONTROL],
      ['[SEP]', PieceType.CONTROL],
      ['[MASK]', PieceType.CONTROL],
      ['(', PieceType.USER_DEFINED],
      [')', PieceType.USER_DEFINED],
    ]);
    const normal = m.pieces.slice(7);
    assert.ok(normal.every((p) => p.type === PieceType.NORMAL && p.score < 0));
    for (let i = 1; i < normal.length; i++) assert.ok(normal[i].score <= normal[i - 1].score);
    assert.equal(new Set(m.pieces.map((p) => p.piece)).size, VOCAB);
    assert.ok(!normal.some((p) => p.piece.includes('(')), 'user-defined symbols are not inside learned pieces');
    const text = readFileSync(train, 'utf8');
    for (const ch of ['▁', 'e', 'T', '。', '的', '.', ',']) assert.ok(m.pieces.some((p) => p.piece === ch), `character ${ch}`);
    assert.equal(ours.stats.requiredCharacters, normal.filter((p) => [...p.piece].length === 1).length);
    // The rarest characters (0.05% of the text) are left out.
    const pieceSet = new Set(m.pieces.map((p) => p.piece));
    const missing = [...new Set(text.replace(/\s/g, ''))].filter((c) => !pieceSet.has(c) && c !== '(' && c !== ')');
    assert.ok(missing.length > 0 && ours.stats.unknownCharacters > 0 && ours.stats.unknownCharacters < 0.0005 * ours.stats.characters);
    for (const c of missing) assert.ok(text.split(c).length - 1 <= 3, `${c} is rare`);
    assert.equal(m.trainerSpec.modelType, ModelType.UNIGRAM);
    assert.deepEqual([m.trainerSpec.vocabSize, m.trainerSpec.padId, m.trainerSpec.unkId, m.trainerSpec.bosId, m.trainerSpec.eosId], [VOCAB, 0, 1, -1, -1]);
    assert.deepEqual(m.trainerSpec.controlSymbols, ['[CLS]', '[SEP]', '[MASK]']);
    assert.deepEqual(m.trainerSpec.userDefinedSymbols, ['(', ')']);
    assert.deepEqual(
      [m.normalizerSpec.name, m.normalizerSpec.addDummyPrefix, m.normalizerSpec.removeExtraWhitespaces, m.normalizerSpec.escapeWhitespaces],
      ['identity', true, true, true],
    );
    assert.ok(logs.some((l) => /EM round \d+ sub_iter=1 size=\d+/.test(l)));
  });

  it('loads in the sentencepiece library, whose exported vocabulary equals our .vocab', { skip: NO_SPM }, () => {
    assert.equal(spm('spm_export_vocab', [`--model=${ours.modelPath}`]), readFileSync(ours.vocabPath, 'utf8'));
  });

  it('encodes with our runtime exactly as spm_encode does', { skip: NO_SPM }, () => {
    const ids = spm('spm_encode', [`--model=${ours.modelPath}`, '--output_format=id'], heldLines.join('\n') + '\n').split('\n');
    const pieces = spm('spm_encode', [`--model=${ours.modelPath}`, '--output_format=piece'], heldLines.join('\n') + '\n').split('\n');
    const sp = SentencePieceProcessor.load(ours.modelPath);
    heldLines.forEach((line, i) => {
      const e = sp.encode(line);
      assert.equal(e.ids.join(' '), ids[i], line);
      assert.equal(e.pieces.join(' '), pieces[i], line);
    });
    assert.deepEqual(sp.encode('déjà (vu)').pieces.slice(-3), ['(', 'vu', ')']);
  });

  it('tokenizes as compactly as spm_train at the same vocabulary size (within 15%)', { skip: NO_SPM }, () => {
    const ref = join(dir, 'ref');
    spm('spm_train', [
      `--input=${train}`, `--model_prefix=${ref}`, `--vocab_size=${VOCAB}`, '--normalization_rule_name=identity',
      '--pad_id=0', '--unk_id=1', '--bos_id=-1', '--eos_id=-1', '--control_symbols=[CLS],[SEP],[MASK]', '--user_defined_symbols=(,)',
      '--num_threads=2', '--minloglevel=2',
    ]);
    const count = (model: string): number => spm('spm_encode', [`--model=${model}`], heldLines.join('\n') + '\n').split(/\s+/).filter((s) => s !== '').length;
    const words = heldLines.join(' ').split(/\s+/).filter((s) => s !== '').length;
    const oursPerWord = count(ours.modelPath) / words;
    const refPerWord = count(`${ref}.model`) / words;
    console.log(`pieces per word: ours ${oursPerWord.toFixed(4)}, spm_train ${refPerWord.toFixed(4)}`);
    assert.ok(Math.abs(oursPerWord / refPerWord - 1) < 0.15, `ours ${oursPerWord} vs spm_train ${refPerWord}`);
    // Most of the vocabulary is the same.
    const vocab = (p: string): Set<string> => new Set(readFileSync(p, 'utf8').split('\n').map((l) => l.split('\t')[0]));
    const a = vocab(ours.vocabPath);
    const shared = [...vocab(`${ref}.vocab`)].filter((p) => a.has(p)).length;
    assert.ok(shared > 0.85 * VOCAB, `${shared} pieces shared`);
  });

  it('makes frequent words single pieces', () => {
    const sp = SentencePieceProcessor.load(ours.modelPath);
    assert.deepEqual(sp.encode('the of and to in is was').pieces, ['▁the', '▁of', '▁and', '▁to', '▁in', '▁is', '▁was']);
  });

  it('is deterministic: the same input and seed give the same bytes', () => {
    // The model records its prefix (as spm_train's does), so the runs share one.
    const model = readFileSync(ours.modelPath);
    const vocab = readFileSync(ours.vocabPath, 'utf8');
    const again = trainUnigram({ input: [train], vocabSize: VOCAB, modelPrefix: join(dir, 'ours'), userDefinedSymbols: ['(', ')'] });
    assert.deepEqual(readFileSync(again.modelPath), model);
    assert.equal(readFileSync(again.vocabPath, 'utf8'), vocab);
    const sample = (seed: number): Buffer => {
      const r = trainUnigram({ input: [held], vocabSize: 500, modelPrefix: join(dir, 'sampled'), inputSentenceSize: 200, seed });
      assert.equal(r.stats.sentences, 200);
      return readFileSync(r.modelPath);
    };
    assert.deepEqual(sample(5), sample(5));
    assert.notDeepEqual(sample(5), sample(6));
  });

  it('lowercases with doLowerCase and honours other ids and symbols', () => {
    const r = trainUnigram({ input: [held], vocabSize: 400, modelPrefix: join(dir, 'lower'), doLowerCase: true, controlSymbols: [], padId: -1, unkId: 0, bosId: 1, eosId: 2 });
    const m = decodeModelProto(readFileSync(r.modelPath));
    assert.deepEqual(m.pieces.slice(0, 3).map((p) => p.piece), ['<unk>', '<s>', '</s>']);
    assert.ok(!m.pieces.slice(3).some((p) => /[A-Z]/.test(p.piece)));
  });

  it('rejects a vocabulary smaller than the required characters and special pieces, naming the minimum', () => {
    const prefix = join(dir, 'small');
    writeFileSync(`${prefix}.model`, 'old');
    let minimum = 0;
    assert.throws(
      () => trainUnigram({ input: [held], vocabSize: 20, modelPrefix: prefix }),
      (e: Error) => {
        assert.ok(e instanceof UserError);
        const m = /held\.txt: its (\d+) required characters \(character_coverage 0\.9995\) and 5 special pieces need at least (\d+)$/.exec(e.message);
        assert.ok(m, e.message);
        minimum = Number(m[2]);
        assert.equal(minimum, Number(m[1]) + 5);
        return true;
      },
    );
    assert.equal(readFileSync(`${prefix}.model`, 'utf8'), 'old', 'a failed run leaves existing outputs alone');
    // The minimum itself works: the characters and nothing else.
    const r = trainUnigram({ input: [held], vocabSize: minimum, modelPrefix: prefix });
    const m = decodeModelProto(readFileSync(r.modelPath));
    assert.ok(m.pieces.slice(5).every((p) => [...p.piece].length === 1));
  });

  it('reports other mistakes in one line', () => {
    const bad = (opts: Partial<Parameters<typeof trainUnigram>[0]>, pattern: RegExp): void => {
      assert.throws(
        () => trainUnigram({ input: [held], vocabSize: 500, modelPrefix: join(dir, 'bad'), ...opts }),
        (e: Error) => e instanceof UserError && pattern.test(e.message) && !e.message.includes('\n'),
      );
    };
    bad({ vocabSize: 100_000 }, /vocab_size 100000 is too large for .*held\.txt: at most \d+ pieces/);
    bad({ input: [join(dir, 'missing.txt')] }, /missing\.txt: no such file/);
    bad({ input: [] }, /no input files/);
    bad({ modelPrefix: join(dir, 'no', 'such', 'dir', 'x') }, /x\.model: directory .* does not exist/);
    bad({ userDefinedSymbols: ['[CLS]'] }, /"\[CLS\]" is given twice/);
    bad({ padId: 1 }, /pad_id 1 is already the id of "<unk>"/);
    bad({ unkId: -1 }, /unk_id must be an integer >= 0/);
    bad({ characterCoverage: 1.5 }, /character_coverage must be in \(0, 1\]/);
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '\n  \n');
    bad({ input: [empty] }, /empty\.txt: no text to train on/);
  });
});
