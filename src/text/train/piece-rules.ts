/**
 * Which strings may become a sentence piece: the trainer's validity rules (length, whitespace
 * marker only at the start, no mixing of Unicode scripts, digits apart when asked), checked one
 * code point at a time so callers can extend a candidate and stop at the first failure.
 * The rules follow sentencepiece's TrainerInterface::IsValidSentencePiece.
 */

/** U+2581, the whitespace marker that replaces spaces in normalised text. */
export const WS_CHAR = 0x2581;
/** U+2585, what rare characters (outside the character coverage) are replaced by in training. */
export const UNK_CHAR = 0x2585;
/** Tab: the library's user-defined-piece boundary; never part of a piece. */
const UPP_BOUNDARY = 0x09;

// Script names as JavaScript's \p{Script=...} knows them (Unicode's long names). Common scripts
// come first so the usual lookups end early; names an older engine lacks are skipped.
const SCRIPT_NAMES = (
  'Latin Common Inherited Han Hiragana Katakana Cyrillic Greek Arabic Hebrew Hangul Thai Devanagari Bengali Tamil ' +
  'Telugu Kannada Malayalam Gujarati Gurmukhi Oriya Sinhala Georgian Armenian Ethiopic Khmer Lao Myanmar Tibetan ' +
  'Mongolian Bopomofo Yi Syriac Thaana Cherokee Canadian_Aboriginal Ogham Runic Tagalog Hanunoo Buhid Tagbanwa ' +
  'Limbu Tai_Le Linear_B Ugaritic Shavian Osmanya Cypriot Braille Buginese Coptic New_Tai_Lue Glagolitic Tifinagh ' +
  'Syloti_Nagri Old_Persian Kharoshthi Balinese Cuneiform Phoenician Phags_Pa Nko Sundanese Lepcha Ol_Chiki Vai ' +
  'Saurashtra Kayah_Li Rejang Lycian Carian Lydian Cham Tai_Tham Tai_Viet Avestan Egyptian_Hieroglyphs Samaritan ' +
  'Lisu Bamum Javanese Meetei_Mayek Imperial_Aramaic Old_South_Arabian Inscriptional_Parthian Inscriptional_Pahlavi ' +
  'Old_Turkic Kaithi Batak Brahmi Mandaic Chakma Meroitic_Cursive Meroitic_Hieroglyphs Miao Sharada Sora_Sompeng ' +
  'Takri Caucasian_Albanian Bassa_Vah Duployan Elbasan Grantha Pahawh_Hmong Khojki Linear_A Mahajani Manichaean ' +
  'Mende_Kikakui Modi Mro Old_North_Arabian Nabataean Palmyrene Pau_Cin_Hau Old_Permic Psalter_Pahlavi Siddham ' +
  'Khudawadi Tirhuta Warang_Citi Ahom Anatolian_Hieroglyphs Hatran Multani Old_Hungarian SignWriting Adlam ' +
  'Bhaiksuki Marchen Newa Osage Tangut Masaram_Gondi Nushu Soyombo Zanabazar_Square Dogra Gunjala_Gondi Makasar ' +
  'Medefaidrin Hanifi_Rohingya Sogdian Old_Sogdian Elymaic Nandinagari Nyiakeng_Puachue_Hmong Wancho Chorasmian ' +
  'Dives_Akuru Khitan_Small_Script Yezidi Cypro_Minoan Old_Uyghur Tangsa Toto Vithkuqi Kawi Nag_Mundari Garay ' +
  'Gurung_Khema Kirat_Rai Ol_Onal Sunuwar Todhri Tulu_Tigalari Old_Italic Gothic Deseret'
).split(' ');

const SCRIPT_TESTS: { name: string; re: RegExp }[] = [];
for (const name of SCRIPT_NAMES) {
  try {
    SCRIPT_TESTS.push({ name, re: new RegExp(`^\\p{Script=${name}}$`, 'u') });
  } catch {
    // This engine's Unicode tables predate the script: its characters count as Common.
  }
}
const SCRIPT_ID = new Map(SCRIPT_TESTS.map((t, i) => [t.name, i]));
const COMMON = SCRIPT_ID.get('Common')!;
const INHERITED = SCRIPT_ID.get('Inherited')!;
const HAN = SCRIPT_ID.get('Han')!;
const HIRAGANA = SCRIPT_ID.get('Hiragana')!;
const KATAKANA = SCRIPT_ID.get('Katakana')!;
const scriptCache = new Map<number, number>();

/** The Unicode script of a code point, as an index into SCRIPT_TESTS (unknown: Common). */
export function scriptOf(cp: number): number {
  let s = scriptCache.get(cp);
  if (s !== undefined) return s;
  s = COMMON;
  const ch = String.fromCodePoint(cp);
  for (let i = 0; i < SCRIPT_TESTS.length; i++) {
    if (SCRIPT_TESTS[i].re.test(ch)) {
      s = i;
      break;
    }
  }
  scriptCache.set(cp, s);
  return s;
}

export function scriptName(id: number): string {
  return SCRIPT_TESTS[id].name;
}

export interface PieceRules {
  maxPieceLength: number;
  splitByUnicodeScript: boolean;
  splitByNumber: boolean;
  splitByWhitespace: boolean;
  splitDigits: boolean;
}

/** push() results: the candidate is a valid piece; is not, but a longer one may be; never will be. */
export const VALID = 1;
export const INVALID_HERE = 2;
export const STOP = 0;
export type PushResult = typeof VALID | typeof INVALID_HERE | typeof STOP;

const ANY = -1;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * Checks a candidate piece as it grows one code point at a time. Every rule but one is a rule on
 * prefixes (once broken, every extension breaks it too), so STOP ends the extension; the one
 * exception, a trailing ▁ when pieces may span words, answers INVALID_HERE.
 */
export class PieceChecker {
  private length = 0;
  private prevScript = ANY;
  private hasDigit = false;

  constructor(private readonly rules: PieceRules) {}

  reset(): void {
    this.length = 0;
    this.prevScript = ANY;
    this.hasDigit = false;
  }

  push(c: number): PushResult {
    const r = this.rules;
    const pos = this.length++;
    if (this.length > r.maxPieceLength) return STOP;
    if (c === UNK_CHAR || c === 0 || c === 0x25a1 || c === UPP_BOUNDARY || c === 0x20) return STOP;
    if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) return STOP;
    if (c === WS_CHAR) {
      if (r.splitByWhitespace) return pos > 0 ? STOP : VALID;
      // Spanning words: ▁ may start a piece or sit inside one, but not end a longer one.
      return pos > 0 ? INVALID_HERE : VALID;
    }
    let s = scriptOf(c);
    if (s === HIRAGANA || s === KATAKANA || c === 0x30fc) s = HAN;
    else if (s === INHERITED) s = this.prevScript;
    const digit = isDigit(c);
    if (!r.splitByNumber && digit) s = ANY;
    if (r.splitDigits && (digit || this.hasDigit) && pos > 0) return STOP;
    if (digit) this.hasDigit = true;
    if (r.splitByUnicodeScript && s !== ANY && this.prevScript !== ANY && this.prevScript !== s) return STOP;
    this.prevScript = s;
    return VALID;
  }
}

/** Whether a whole string is a valid piece under the rules. */
export function isValidPiece(piece: string, rules: PieceRules): boolean {
  const checker = new PieceChecker(rules);
  let last: PushResult = STOP;
  for (const ch of piece) {
    last = checker.push(ch.codePointAt(0)!);
    if (last === STOP) return false;
  }
  return last === VALID;
}
