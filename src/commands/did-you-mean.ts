/**
 * "Did you mean" for a mistyped flag or command: the nearest known name by edit distance
 * (insertions, deletions, substitutions and swaps of neighbours, each costing one).
 */

/** The optimal-string-alignment distance between a and b (Damerau–Levenshtein without repeated edits of one substring). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate nearest to `word`, when it is near enough to be a typo (about one edit in
 * three characters, at least one); ties go to the earlier candidate.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/**
 * For the binary: when the words at the start of `argv` name no command, the one-line error to
 * print (without "Error: "), with the nearest command id when there is one; undefined when argv
 * is a command, a topic alone (oclif shows the topic's help), empty, or starts with a flag.
 * `ids` are oclif's command ids ("finetune:glue"); `argv` separates topics with spaces.
 */
export function unknownCommandMessage(argv: readonly string[], ids: readonly string[]): string | undefined {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  if (words.length === 0) return undefined;
  const known = new Set(ids);
  const topics = new Set(ids.flatMap((id) => id.split(':').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join(':'))));
  // The longest run of words that is a command wins, as oclif reads them; the rest are arguments.
  for (let n = words.length; n >= 1; n--) if (known.has(words.slice(0, n).join(':'))) return undefined;
  if (words.length === 1 && topics.has(words[0])) return undefined;
  // The words as far as they make sense: a topic and what follows it, or the first word alone.
  const typed = topics.has(words[0]) && words.length > 1 ? `${words[0]}:${words[1]}` : words[0];
  const pool = typed.includes(':') ? ids.filter((id) => id.startsWith(`${typed.split(':')[0]}:`)) : [...ids, ...topics];
  const guess = closest(typed, pool);
  const show = (id: string): string => id.replaceAll(':', ' ');
  return `command "${show(typed)}" not found${guess ? `; did you mean "${show(guess)}"?` : ''}`;
}
