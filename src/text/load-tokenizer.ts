// One entry point for the tokenizers a user can name on the command line: an ALBERT
// SentencePiece model (with or without ALBERT's preprocessing) or a WordPiece vocab.txt.
import { OptionError } from '../util/errors.ts';
import { AlbertTokenizer } from './albert-tokenizer.ts';
import { SentencePieceProcessor } from './sentencepiece.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

export interface TokenizerSpec {
  spmModelFile?: string;
  vocabFile?: string;
  doLowerCase?: boolean;
  keepAccents?: boolean;
  /** SentencePiece alone, as spm_encode runs it: no ALBERT preprocessing, no comma rule. */
  raw?: boolean;
}

export interface LoadedTokenizer {
  kind: 'albert' | 'sentencepiece' | 'wordpiece';
  /** The file it was loaded from. */
  source: string;
  vocabSize: number;
  tokenize(text: string): { pieces: string[]; ids: number[] };
}

export function loadTokenizer(spec: TokenizerSpec): LoadedTokenizer {
  if (spec.spmModelFile && spec.vocabFile) throw new OptionError('give either {spmModelFile} or {vocabFile}, not both');
  if (spec.spmModelFile) {
    const spm = SentencePieceProcessor.load(spec.spmModelFile);
    if (spec.raw) {
      return { kind: 'sentencepiece', source: spec.spmModelFile, vocabSize: spm.vocabSize, tokenize: (text) => spm.encode(text) };
    }
    const albert = new AlbertTokenizer(spm, { doLowerCase: spec.doLowerCase, keepAccents: spec.keepAccents });
    return {
      kind: 'albert',
      source: spec.spmModelFile,
      vocabSize: spm.vocabSize,
      tokenize: (text) => {
        const pieces = albert.tokenize(text);
        return { pieces, ids: albert.convertTokensToIds(pieces) };
      },
    };
  }
  if (spec.vocabFile) {
    const wp = WordPieceTokenizer.fromVocabFile(spec.vocabFile, { doLowerCase: spec.doLowerCase });
    return {
      kind: 'wordpiece',
      source: spec.vocabFile,
      vocabSize: wp.vocabSize,
      tokenize: (text) => {
        const pieces = wp.tokenize(text);
        return { pieces, ids: wp.convertTokensToIds(pieces) };
      },
    };
  }
  throw new OptionError('no tokenizer given: pass {spmModelFile} (a SentencePiece .model) or {vocabFile} (a WordPiece vocab.txt)');
}
