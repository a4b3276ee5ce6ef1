/**
 * Trains a SentencePiece unigram model, as spm_train does (Kudo 2018, and the library's
 * unigram_model_trainer): normalise and split the text into ▁-initial words, keep the characters
 * that cover `characterCoverage` of the text (the rest become unknown), seed the vocabulary with
 * frequent substrings (seed-pieces.ts), run EM with the digamma update and prune by likelihood
 * loss until 1.1 x the vocabulary size is left (em.ts), then keep the best pieces. The result is a
 * `.model` file the sentencepiece library loads and a `.vocab` text file.
 *
 * Defaults are ALBERT's: <pad> 0, <unk> 1, no <s>/</s>, control symbols [CLS] [SEP] [MASK]
 * (ids 2, 3, 4), normalizer "identity" (see words.ts: normalizeText for the NFKC rules).
 * The same input and options give the same bytes.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeAtomic } from '../../util/atomic-write.ts';
import { UserError } from '../../ir/errors.ts';
import { loadSentences } from './corpus-reader.ts';
import { UnigramEM, type PieceModel } from './em.ts';
import { encodeModel, PieceType, vocabText, type VocabEntry } from './model-writer.ts';
import { isValidPiece, type PieceRules } from './piece-rules.ts';
import { makeSeedPieces } from './seed-pieces.ts';
import {
  compareCodePoints,
  countWords,
  escapeWhitespace,
  normalizeText,
  packWords,
  requiredCharacters,
  type NormalizationRule,
} from './words.ts';

export interface TrainUnigramOptions {
  /** Text files, one sentence per line. */
  input: string[];
  vocabSize: number;
  /** Writes <modelPrefix>.model and <modelPrefix>.vocab. */
  modelPrefix: string;
  modelType?: 'unigram';
  /** Share of character occurrences the vocabulary's characters must cover (default 0.9995). */
  characterCoverage?: number;
  /** Train on at most this many sentences (default 0: all). */
  inputSentenceSize?: number;
  /** With inputSentenceSize: sample sentences from all the input (default true) or take the first. */
  shuffleInputSentence?: boolean;
  seed?: number;
  /** Default ['[CLS]', '[SEP]', '[MASK]']. */
  controlSymbols?: string[];
  userDefinedSymbols?: string[];
  /** Default 0; -1 for none. */
  padId?: number;
  /** Default 1; required. */
  unkId?: number;
  /** Default -1 (none). */
  bosId?: number;
  /** Default -1 (none). */
  eosId?: number;
  /** Longest piece in code points (default 16). */
  maxSentencePieceLength?: number;
  /** Pieces never cross a space (default true). */
  splitByWhitespace?: boolean;
  /** Every digit its own piece (default false). */
  splitDigits?: boolean;
  /** Default 'identity'; the NFKC rules are applied to the training text only (see normalizeText). */
  normalizationRuleName?: NormalizationRule;
  /** Lowercase the text before training (for an uncased model such as ALBERT's). */
  doLowerCase?: boolean;
  /** Initial pieces kept from the substring counts (default 1,000,000, as the library). */
  seedSentencePieceSize?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface TrainStats {
  /** Sentences trained on, lines skipped for being over 4192 bytes, non-empty lines read. */
  sentences: number;
  skippedSentences: number;
  lines: number;
  /** Character occurrences, distinct characters, those in the vocabulary, occurrences left unknown. */
  characters: number;
  distinctCharacters: number;
  requiredCharacters: number;
  unknownCharacters: number;
  /** Word occurrences and distinct words. */
  words: number;
  distinctWords: number;
  seedPieces: number;
  /** Prune rounds and EM iterations run. */
  emRounds: number;
  emIterations: number;
  /** Final negative log likelihood per word. */
  objective: number;
  vocabSize: number;
  seconds: number;
}

export interface TrainedUnigram {
  pieces: VocabEntry[];
  model: Uint8Array;
  vocab: string;
  stats: TrainStats;
}

export interface TrainUnigramResult {
  modelPath: string;
  vocabPath: string;
  stats: TrainStats;
}

const MAX_SENTENCE_LENGTH = 4192;
const NUM_SUB_ITERATIONS = 2;
const SHRINKING_FACTOR = 0.75;
const ALBERT_CONTROL_SYMBOLS = ['[CLS]', '[SEP]', '[MASK]'];

interface Resolved {
  vocabSize: number;
  characterCoverage: number;
  inputSentenceSize: number;
  shuffleInputSentence: boolean;
  seed: number;
  controlSymbols: string[];
  userDefinedSymbols: string[];
  padId: number;
  unkId: number;
  bosId: number;
  eosId: number;
  rules: PieceRules;
  normalizationRuleName: NormalizationRule;
  doLowerCase: boolean;
  seedSentencePieceSize: number;
  log: (line: string) => void;
}

function resolveOptions(o: Omit<TrainUnigramOptions, 'input' | 'modelPrefix'>): Resolved {
  const int = (name: string, v: number, min: number): number => {
    if (!Number.isInteger(v) || v < min) throw new UserError(`${name} must be an integer >= ${min}, got ${v}`);
    return v;
  };
  if ((o.modelType ?? 'unigram') !== 'unigram') throw new UserError(`model_type "${o.modelType}" is not supported: only unigram`);
  const characterCoverage = o.characterCoverage ?? 0.9995;
  if (!(characterCoverage > 0 && characterCoverage <= 1)) throw new UserError(`character_coverage must be in (0, 1], got ${characterCoverage}`);
  const rule = o.normalizationRuleName ?? 'identity';
  if (!['identity', 'nmt_nfkc', 'nmt_nfkc_cf'].includes(rule)) throw new UserError(`normalization_rule_name "${rule}" is not identity, nmt_nfkc or nmt_nfkc_cf`);
  return {
    vocabSize: int('vocab_size', o.vocabSize, 1),
    characterCoverage,
    inputSentenceSize: int('input_sentence_size', o.inputSentenceSize ?? 0, 0),
    shuffleInputSentence: o.shuffleInputSentence ?? true,
    seed: int('seed', o.seed ?? 0, 0),
    controlSymbols: o.controlSymbols ?? ALBERT_CONTROL_SYMBOLS,
    userDefinedSymbols: o.userDefinedSymbols ?? [],
    padId: int('pad_id', o.padId ?? 0, -1),
    unkId: int('unk_id', o.unkId ?? 1, 0),
    bosId: int('bos_id', o.bosId ?? -1, -1),
    eosId: int('eos_id', o.eosId ?? -1, -1),
    rules: {
      maxPieceLength: Math.min(int('max_sentencepiece_length', o.maxSentencePieceLength ?? 16, 1), 512),
      splitByUnicodeScript: true,
      splitByNumber: true,
      splitByWhitespace: o.splitByWhitespace ?? true,
      splitDigits: o.splitDigits ?? false,
    },
    normalizationRuleName: rule,
    doLowerCase: o.doLowerCase ?? false,
    seedSentencePieceSize: int('seed_sentencepiece_size', o.seedSentencePieceSize ?? 1_000_000, 1),
    log: o.log ?? (() => {}),
  };
}

/** The special pieces by id: unk/bos/eos/pad first, then control and user-defined symbols in the first free ids. */
function metaPieces(r: Resolved): Map<number, VocabEntry> {
  const meta = new Map<number, VocabEntry>();
  const seen = new Set<string>();
  const special = [
    '<unk>',
    ...(r.bosId >= 0 ? ['<s>'] : []),
    ...(r.eosId >= 0 ? ['</s>'] : []),
    ...(r.padId >= 0 ? ['<pad>'] : []),
    ...r.controlSymbols,
    ...r.userDefinedSymbols,
  ];
  if (special.length > r.vocabSize) {
    throw new UserError(`vocab_size ${r.vocabSize} is too small: the vocabulary must hold its ${special.length} special pieces (${special.join(' ')}) and the pieces learned from the text`);
  }
  const put = (id: number, piece: string, type: number, what: string): void => {
    if (piece === '') throw new UserError(`${what}: empty symbol`);
    if (seen.has(piece)) throw new UserError(`${what} "${piece}" is given twice (special pieces must be distinct)`);
    if (id >= r.vocabSize) throw new UserError(`${what} ${id} is outside the vocabulary (vocab_size ${r.vocabSize})`);
    if (meta.has(id)) throw new UserError(`${what} ${id} is already the id of "${meta.get(id)!.piece}"`);
    seen.add(piece);
    meta.set(id, { piece, score: 0, type });
  };
  put(r.unkId, '<unk>', PieceType.UNKNOWN, 'unk_id');
  if (r.bosId >= 0) put(r.bosId, '<s>', PieceType.CONTROL, 'bos_id');
  if (r.eosId >= 0) put(r.eosId, '</s>', PieceType.CONTROL, 'eos_id');
  if (r.padId >= 0) put(r.padId, '<pad>', PieceType.CONTROL, 'pad_id');
  let id = 0;
  const next = (): number => {
    while (meta.has(id)) id++;
    return id;
  };
  for (const s of r.controlSymbols) put(next(), s, PieceType.CONTROL, 'control symbol');
  for (const s of r.userDefinedSymbols) put(next(), s, PieceType.USER_DEFINED, 'user-defined symbol');
  return meta;
}

function describeInput(input: string[]): string {
  return input.length === 1 ? input[0] : `${input[0]} (and ${input.length - 1} more)`;
}

/** Trains on sentences already in memory (raw lines, before normalisation). */
export function trainUnigramFromSentences(
  sentences: string[],
  options: Omit<TrainUnigramOptions, 'input' | 'modelPrefix'> & { input?: string[]; modelPrefix?: string },
  counts: { lines?: number; skipped?: number } = {},
): TrainedUnigram {
  const t0 = performance.now();
  const r = resolveOptions(options);
  const source = options.input && options.input.length > 0 ? describeInput(options.input) : 'training text';
  const meta = metaPieces(r);
  const log = r.log;

  const normalized = sentences.map((s) => escapeWhitespace(normalizeText(s, r.normalizationRuleName, r.doLowerCase))).filter((s) => s !== '');
  if (normalized.length === 0) throw new UserError(`${source}: no text to train on (every line is empty or over ${MAX_SENTENCE_LENGTH} bytes)`);
  const userDefined = r.userDefinedSymbols.map((s) => s.replaceAll(' ', '▁'));
  const wordCounts = countWords(normalized, r.rules.splitByWhitespace, userDefined);
  const coverage = requiredCharacters(wordCounts, r.characterCoverage);
  log(`loaded ${normalized.length} sentences, ${coverage.total} characters (${coverage.distinct} distinct); alphabet size ${coverage.required.length} covers ${(100 * (1 - coverage.dropped / coverage.total)).toFixed(4)}%`);
  const minimum = meta.size + coverage.required.length;
  if (r.vocabSize < minimum) {
    throw new UserError(
      `vocab_size ${r.vocabSize} is too small for ${source}: its ${coverage.required.length} required characters (character_coverage ${r.characterCoverage}) and ${meta.size} special pieces need at least ${minimum}`,
    );
  }
  const words = packWords(wordCounts, new Set(coverage.required.map((c) => c.char)));
  let wordTotal = 0;
  for (const f of words.freq) wordTotal += f;
  const seeds = makeSeedPieces(words, r.rules, r.seedSentencePieceSize);
  log(`${words.count} distinct words (${wordTotal} in all); ${seeds.pieces.length} seed pieces of ${seeds.candidates} candidates`);

  const em = new UnigramEM(seeds);
  const desired = Math.trunc(r.vocabSize * 1.1);
  let model: PieceModel = em.initialModel();
  let rounds = 0;
  let iterations = 0;
  let objective = NaN;
  for (;;) {
    for (let i = 0; i < NUM_SUB_ITERATIONS; i++) {
      const e = em.eStep(model);
      model = em.mStep(model, e.expected);
      objective = e.objective;
      iterations++;
      log(`EM round ${rounds} sub_iter=${i} size=${model.seeds.length} obj=${e.objective.toFixed(4)} num_tokens=${e.tokens} num_tokens/piece=${(e.tokens / model.seeds.length).toFixed(4)}`);
    }
    if (model.seeds.length <= desired) break;
    const pruned = em.prune(model, desired, SHRINKING_FACTOR);
    rounds++;
    if (pruned.seeds.length >= model.seeds.length) break;
    model = pruned;
  }

  // The final vocabulary: every required character, then the best-scoring pieces.
  const budget = r.vocabSize - meta.size;
  const specials = new Set([...meta.values()].map((m) => m.piece));
  const scoreOf = new Map<string, number>();
  let minScore = Infinity;
  model.seeds.forEach((s, k) => {
    scoreOf.set(seeds.pieces[s], model.scores[k]);
    minScore = Math.min(minScore, model.scores[k]);
  });
  const final = new Map<string, number>();
  // Required characters the EM dropped come back just above the lowest score, each 1e-4 apart
  // (the library adds the penalty, so rarer characters get the higher scores; we do the same).
  let penalty = 0;
  for (const { char } of coverage.required) {
    const s = String.fromCodePoint(char);
    if (specials.has(s)) continue;
    const score = scoreOf.get(s);
    if (score !== undefined) final.set(s, score);
    else {
      final.set(s, Math.fround(minScore + penalty));
      penalty = Math.fround(penalty + 0.0001);
    }
  }
  const byScore = [...scoreOf].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
  for (const [piece, score] of byScore) {
    if (final.size >= budget) break;
    if (final.has(piece) || specials.has(piece)) continue;
    final.set(piece, score);
  }
  if (final.size < budget) {
    throw new UserError(
      `vocab_size ${r.vocabSize} is too large for ${source}: at most ${final.size + meta.size} pieces can be learned from it (lower vocab_size or add text)`,
    );
  }
  const normal = [...final].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
  const pieces: VocabEntry[] = [];
  let n = 0;
  for (let id = 0; id < r.vocabSize; id++) {
    const m = meta.get(id);
    if (m) pieces.push(m);
    else {
      const [piece, score] = normal[n++];
      pieces.push({ piece, score, type: PieceType.NORMAL });
    }
  }
  // A user-defined symbol that breaks the piece rules is fine (it is matched before segmentation);
  // the learned pieces must all follow them.
  for (const p of pieces) {
    if (p.type === PieceType.NORMAL && !isValidPiece(p.piece, r.rules) && [...p.piece].length > 1) {
      throw new Error(`internal error: learned piece "${p.piece}" breaks the piece rules`);
    }
  }

  const modelBytes = encodeModel({
    pieces,
    trainerSpec: {
      input: options.input ?? [],
      modelPrefix: options.modelPrefix ?? '',
      vocabSize: r.vocabSize,
      characterCoverage: r.characterCoverage,
      inputSentenceSize: r.inputSentenceSize,
      shuffleInputSentence: r.shuffleInputSentence,
      seedSentencepieceSize: r.seedSentencePieceSize,
      shrinkingFactor: SHRINKING_FACTOR,
      maxSentenceLength: MAX_SENTENCE_LENGTH,
      numThreads: 1,
      numSubIterations: NUM_SUB_ITERATIONS,
      maxSentencepieceLength: r.rules.maxPieceLength,
      splitByUnicodeScript: r.rules.splitByUnicodeScript,
      splitByNumber: r.rules.splitByNumber,
      splitByWhitespace: r.rules.splitByWhitespace,
      treatWhitespaceAsSuffix: false,
      allowWhitespaceOnlyPieces: false,
      splitDigits: r.rules.splitDigits,
      controlSymbols: r.controlSymbols,
      userDefinedSymbols: r.userDefinedSymbols,
      byteFallback: false,
      vocabularyOutputPieceScore: true,
      hardVocabLimit: true,
      useAllVocab: false,
      unkId: r.unkId,
      bosId: r.bosId,
      eosId: r.eosId,
      padId: r.padId,
      unkPiece: '<unk>',
      bosPiece: '<s>',
      eosPiece: '</s>',
      padPiece: '<pad>',
      unkSurface: ' \u2047 ',
    },
    normalizerSpec: {
      name: 'identity',
      precompiledCharsmap: new Uint8Array(0),
      addDummyPrefix: true,
      removeExtraWhitespaces: true,
      escapeWhitespaces: true,
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const stats: TrainStats = {
    sentences: normalized.length,
    skippedSentences: counts.skipped ?? 0,
    lines: counts.lines ?? sentences.length,
    characters: coverage.total,
    distinctCharacters: coverage.distinct,
    requiredCharacters: coverage.required.length,
    unknownCharacters: coverage.dropped,
    words: wordTotal,
    distinctWords: words.count,
    seedPieces: seeds.pieces.length,
    emRounds: rounds,
    emIterations: iterations,
    objective,
    vocabSize: pieces.length,
    seconds,
  };
  log(`trained ${pieces.length} pieces in ${seconds.toFixed(2)} s`);
  return { pieces, model: modelBytes, vocab: vocabText(pieces), stats };
}


/** Checks that <prefix>.model can be written: its directory exists and is writable. */
function checkOutputPrefix(prefix: string): void {
  if (prefix === '') throw new UserError('model_prefix is empty');
  const dir = dirname(resolve(prefix));
  if (!existsSync(dir)) throw new UserError(`${prefix}.model: directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new UserError(`${prefix}.model: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UserError(`${prefix}.model: directory ${dir} is not writable`);
  }
}

/** Trains from text files and writes <modelPrefix>.model and <modelPrefix>.vocab (each atomically). */
export function trainUnigram(opts: TrainUnigramOptions): TrainUnigramResult {
  if (opts.input.length === 0) throw new UserError('no input files');
  const r = resolveOptions(opts);
  checkOutputPrefix(opts.modelPrefix);
  const t0 = performance.now();
  const loaded = loadSentences(opts.input, {
    inputSentenceSize: r.inputSentenceSize,
    shuffleInputSentence: r.shuffleInputSentence,
    seed: r.seed,
    maxSentenceLength: MAX_SENTENCE_LENGTH,
  });
  r.log(
    `read ${loaded.lines} lines from ${describeInput(opts.input)}` +
      (loaded.tooLong ? `; skipped ${loaded.tooLong} over ${MAX_SENTENCE_LENGTH} bytes` : '') +
      (loaded.sentences.length < loaded.lines - loaded.tooLong ? `; sampled ${loaded.sentences.length}` : ''),
  );
  const trained = trainUnigramFromSentences(loaded.sentences, opts, { lines: loaded.lines, skipped: loaded.tooLong });
  const modelPath = `${opts.modelPrefix}.model`;
  const vocabPath = `${opts.modelPrefix}.vocab`;
  writeAtomic(modelPath, trained.model);
  writeAtomic(vocabPath, trained.vocab);
  trained.stats.seconds = (performance.now() - t0) / 1000;
  return { modelPath, vocabPath, stats: trained.stats };
}
