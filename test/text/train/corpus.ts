/**
 * A synthetic, English-like corpus for tokenizer tests and the training benchmark: common
 * English words plus generated stems with prefixes and suffixes (so sub-word structure exists to
 * be found), drawn with Zipfian frequencies, with punctuation, numbers, accented words and a few
 * sentences of Chinese/Japanese. Deterministic for a seed; nothing is downloaded.
 */
import { rng } from '../../helpers/random.ts';

const COMMON = (
  'the of and to a in is it you that he was for on are with as I his they be at one have this from or had by ' +
  'not word but what some we can out other were all there when up use your how said an each she which do their ' +
  'time if will way about many then them write would like so these her long make thing see him two has look more ' +
  'day could go come did number sound no most people my over know water than call first who may down side been now ' +
  'find any new work part take get place made live where after back little only round man year came show every good ' +
  'me give our under name very through just form sentence great think say help low line differ turn cause much mean ' +
  'before move right boy old too same tell does set three want air well also play small end put home read hand port ' +
  'large spell add even land here must big high such follow act why ask men change went light kind off need house ' +
  'picture try us again animal point mother world near build self earth father head stand own page should country'
).split(' ');

const ACCENTED = ['café', 'naïve', 'résumé', 'Zürich', 'São', 'façade', 'über', 'señor', 'déjà', 'crème', 'Ångström', 'piñata'];
const ONSETS = ['b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z', 'br', 'cl', 'dr', 'gr', 'pl', 'st', 'tr', 'sh', 'ch', 'th'];
const NUCLEI = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ou', 'io'];
const CODAS = ['', '', 'n', 'r', 's', 't', 'l', 'm', 'nd', 'st', 'ck'];
const PREFIXES = ['', '', '', '', 'un', 're', 'pre', 'dis', 'over'];
const SUFFIXES = ['', '', '', 's', 's', 'ed', 'ing', 'er', 'ly', 'ness', 'tion', 'able'];
const HAN = '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单';
const KANA = 'あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんアイウエオカキクケコサシスセソタチツテト';

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

/** The word list in rank order: common words first, then accented words and generated ones. */
function makeLexicon(r: () => number, size: number): string[] {
  const seen = new Set<string>(COMMON);
  const words = [...COMMON];
  const stems: string[] = [];
  while (stems.length < size / 3) {
    let s = '';
    const syllables = 1 + Math.floor(r() * r() * 3);
    for (let k = 0; k < syllables; k++) s += pick(r, ONSETS) + pick(r, NUCLEI) + pick(r, CODAS);
    if (!seen.has(s)) {
      seen.add(s);
      stems.push(s);
    }
  }
  let a = 0;
  while (words.length < size) {
    if (words.length % 97 === 0 && a < ACCENTED.length) words.push(ACCENTED[a++]);
    // Earlier stems are more frequent and come with more affixed forms.
    const stem = stems[Math.floor(Math.pow(r(), 2) * stems.length)];
    const w = pick(r, PREFIXES) + stem + pick(r, SUFFIXES);
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

/**
 * Lines of text, about `bytes` UTF-8 bytes in all. The word list depends on `lexiconSeed` only,
 * so corpora with different `seed`s are different text in the same language.
 */
export function syntheticCorpus(bytes: number, seed = 1, lexiconSize = 12000, lexiconSeed = 7): string[] {
  const lexicon = makeLexicon(rng(lexiconSeed), lexiconSize);
  const r = rng(seed);
  // Zipf: weight 1/(rank + 2.7); sampled through the cumulative table.
  const cdf = new Float64Array(lexicon.length);
  let total = 0;
  for (let i = 0; i < lexicon.length; i++) cdf[i] = total += 1 / (i + 2.7);
  const draw = (): string => {
    const x = r() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lexicon[lo];
  };
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    let line: string;
    if (r() < 0.04) {
      const n = 5 + Math.floor(r() * 20);
      line = '';
      for (let k = 0; k < n; k++) line += r() < 0.7 ? HAN[Math.floor(Math.pow(r(), 1.5) * HAN.length)] : KANA[Math.floor(r() * KANA.length)];
      line += '。';
    } else {
      const n = 4 + Math.floor(r() * 20);
      const ws: string[] = [];
      for (let k = 0; k < n; k++) {
        let w = r() < 0.02 ? String(Math.floor(r() * (r() < 0.5 ? 100 : 2100))) : draw();
        if (k === 0) w = w[0].toUpperCase() + w.slice(1);
        if (k < n - 1 && r() < 0.08) w += ',';
        if (r() < 0.01) w = `(${w})`;
        ws.push(w);
      }
      if (r() < 0.003) ws.push('☃');
      line = ws.join(' ') + (r() < 0.1 ? '?' : '.');
    }
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  return lines;
}
