import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { env, AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { UserError } from '../../src/ir/errors.ts';
import { DEMOTED_SCORE, endsInDigitComma, specialPieces, specialTokensMapJson, tokenizerConfigJson, tokenizerJson, type TokenizerSettings } from '../../src/export/tokenizer-json.ts';
import { AlbertTokenizer, preprocessText } from '../../src/text/albert-tokenizer.ts';
import { decodeModelProto, encodeModelProto, PieceType, type ModelProto } from '../../src/text/model-proto.ts';
import { SENTENCES, tempDir, trainSpm, type SpmModel } from './fixtures.ts';

type Json = Record<string, unknown>;

const root = tempDir('tok');
let spm: SpmModel;
let proto: ModelProto;

/** Writes the three tokenizer files (and spiece.model) to root/<name> and loads them in transformers.js, offline. */
async function loadInTransformersJs(name: string, settings: TokenizerSettings): Promise<PreTrainedTokenizer> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(proto, settings, spm.path)));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfigJson(proto, settings, spm.path)));
  writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify(specialTokensMapJson(proto, spm.path)));
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(dir)}/`;
  return AutoTokenizer.from_pretrained(basename(dir));
}

/** Our ids for [CLS] a [SEP] (b [SEP]), unpadded, and their segment ids. */
function ours(tok: AlbertTokenizer, a: string, b: string | null = null): { ids: number[]; segments: number[] } {
  const e = tok.encodePair(a, b, 512);
  const n = e.inputMask.reduce((s, x) => s + x, 0);
  return { ids: e.inputIds.slice(0, n), segments: e.segmentIds.slice(0, n) };
}

function theirs(tok: PreTrainedTokenizer, a: string, b: string | null = null): { ids: number[]; segments: number[] } {
  const enc = b === null ? tok(a) : tok(a, { text_pair: b });
  const list = (t: { tolist(): unknown[] } | undefined): number[] => {
    assert.ok(t, 'transformers.js gave no tensor');
    return (t.tolist()[0] as bigint[]).map(Number);
  };
  return { ids: list(enc.input_ids), segments: list(enc.token_type_ids) };
}

describe('tokenizer.json for ALBERT', () => {
  before(() => {
    spm = trainSpm(root);
    proto = decodeModelProto(readFileSync(spm.path), spm.path);
  });

  it("follows HF's AlbertConverter layout", () => {
    const t = tokenizerJson(proto, { doLowerCase: true, keepAccents: false, modelMaxLength: 64 }, spm.path) as Json;
    const normalizers = (t.normalizer as { normalizers: Json[] }).normalizers;
    const types = normalizers.map((n) => n.type);
    const charsmap = proto.normalizerSpec.precompiledCharsmap;
    assert.deepEqual(types, ['Replace', 'Replace', 'NFKD', 'StripAccents', 'Lowercase', ...(charsmap.length ? ['Precompiled'] : []), 'Replace']);
    if (charsmap.length) {
      const pre = normalizers.find((n) => n.type === 'Precompiled')!;
      assert.deepEqual(new Uint8Array(Buffer.from(pre.precompiled_charsmap as string, 'base64')), charsmap);
    } else {
      process.stdout.write(`# the ${spm.trainer} model has no charsmap: no Precompiled normalizer to check\n`);
    }
    assert.deepEqual(normalizers[normalizers.length - 1], { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' });
    assert.deepEqual(t.pre_tokenizer, { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true });
    const model = t.model as { type: string; unk_id: number; vocab: [string, number][]; byte_fallback: boolean };
    assert.equal(model.type, 'Unigram');
    assert.equal(model.unk_id, 1);
    assert.equal(model.vocab.length, proto.pieces.length);
    // Every piece with its score, but those encode_pieces splits the comma off: never chosen.
    const demoted = proto.pieces.filter((p) => endsInDigitComma(p.piece)).map((p) => p.piece);
    assert.deepEqual(model.vocab, proto.pieces.map((p) => [p.piece, demoted.includes(p.piece) ? DEMOTED_SCORE : p.score]));
    assert.ok(demoted.length > 0, `the ${spm.trainer} model has no "<digit>," piece: the comma rule goes untested`);
    const added = t.added_tokens as Json[];
    assert.deepEqual(added.map((a) => [a.id, a.content, a.special, a.lstrip, a.normalized]), [
      [0, '<pad>', true, false, false],
      [1, '<unk>', true, false, false],
      [2, '[CLS]', true, false, false],
      [3, '[SEP]', true, false, false],
      [4, '[MASK]', true, true, false],
    ]);
    const post = t.post_processor as { special_tokens: Json };
    assert.deepEqual(post.special_tokens['[CLS]'], { id: '[CLS]', ids: [2], tokens: ['[CLS]'] });

    const cased = tokenizerJson(proto, { doLowerCase: false, keepAccents: true, modelMaxLength: 64 }, spm.path) as Json;
    const casedTypes = (cased.normalizer as { normalizers: Json[] }).normalizers.map((n) => n.type);
    assert.ok(!casedTypes.includes('Lowercase') && !casedTypes.includes('StripAccents') && !casedTypes.includes('NFKD'));

    const config = tokenizerConfigJson(proto, { doLowerCase: true, keepAccents: false, modelMaxLength: 64 }, spm.path) as Json;
    assert.equal(config.tokenizer_class, 'AlbertTokenizer');
    assert.equal(config.model_max_length, 64);
    assert.equal(config.mask_token, '[MASK]');
    assert.equal(config.remove_space, true);
  });

  for (const settings of [
    { doLowerCase: true, keepAccents: false, modelMaxLength: 64 },
    { doLowerCase: false, keepAccents: true, modelMaxLength: 64 },
  ]) {
    const name = `lower-${settings.doLowerCase}-accents-${settings.keepAccents}`;
    it(`gives transformers.js the ids our AlbertTokenizer gives (${name})`, async () => {
      const tjs = await loadInTransformersJs(name, settings);
      const tok = AlbertTokenizer.fromSpmFile(spm.path, settings);
      // The original's comma rule must fire on some sentence, or the comparison misses it.
      assert.ok(SENTENCES.some((s) => tok.tokenize(s).join(' ') !== tok.spm.encodeAsPieces(preprocessText(s, { lower: settings.doLowerCase, keepAccents: settings.keepAccents })).join(' ')));
      for (const s of SENTENCES) assert.deepEqual(theirs(tjs, s), ours(tok, s), JSON.stringify(s));
      assert.deepEqual(theirs(tjs, SENTENCES[0], SENTENCES[2]), ours(tok, SENTENCES[0], SENTENCES[2]));
      // [MASK] is one special token wherever it stands, and the space before it goes.
      const masked = theirs(tjs, 'The capital of France is [MASK].').ids;
      assert.deepEqual(masked, [2, ...tok.encode('The capital of France is'), 4, ...tok.encode('.'), 3]);
      assert.equal(tjs.decode(tok.encode('hello world'), { skip_special_tokens: true }), settings.doLowerCase ? 'hello world' : tok.decode(tok.encode('hello world')));
    });
  }

  it('rejects a SentencePiece model without the ALBERT special pieces, naming the file and piece', () => {
    const bytes = encodeModelProto({
      pieces: [
        { piece: '<pad>', type: PieceType.CONTROL },
        { piece: '<unk>', type: PieceType.UNKNOWN },
        { piece: '[CLS]', type: PieceType.CONTROL },
        { piece: '[SEP]', type: PieceType.CONTROL },
        { piece: '\u2581a', score: -1 },
      ],
      trainerSpec: { padId: 0, unkId: 1, bosId: -1, eosId: -1 },
    });
    const small = decodeModelProto(bytes, 'small.model');
    assert.throws(
      () => specialPieces(small, 'small.model'),
      (e: unknown) => e instanceof UserError && /^small\.model: .*no "\[MASK\]" piece/.test(e.message) && !e.message.includes('\n'),
    );
  });
});
