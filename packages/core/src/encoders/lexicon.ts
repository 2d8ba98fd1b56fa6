import { words } from './text-features';

// The lexicon: what words name a dataset, a class, or a group of classes. Instructions are matched against it
// (longest phrase first, plurals folded), so "tell a 4 from a 9", "fours versus nines" and "is it a four or a nine"
// all name the classes 4 and 9 of MNIST, in that order. Word vectors (word-vectors.ts) extend it to words it does
// not list ("numerals" -> digits); the concept encoder (concepts.ts) turns a match into a vector.

/** One dataset's words. Plain JSON: saved with the encoder that uses it, so a checkpoint rebuilds it exactly. */
export interface LexiconDataset {
  name: string;
  /** Words or phrases that name the dataset, e.g. "handwritten digits", "mnist". */
  keywords: string[];
  /** Class names in the dataset's label order, each with its aliases ("4": ["four"]). */
  classes: { name: string; aliases: string[] }[];
  /** Named groups of classes: "footwear" -> Sandal, Sneaker, Ankle boot. */
  groups: { name: string; aliases: string[]; classes: string[] }[];
}

export type Lexicon = LexiconDataset[];

/** English number words for the class names "0".."9" (so "four" and "fours" name the class "4"). */
export const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** Words after a number that make it a count ("2 classes", "10-way"), not a class name. */
const COUNT_NOUNS = new Set(['class', 'way', 'kind', 'category', 'type', 'label', 'output']); // folded to singular

/**
 * Fold an English plural to its singular, with the few rules instruction words need. Hand-written because no
 * well-kept npm stemmer is installed here, and a stemmer would fold more than plurals ("classify" -> "classifi").
 */
export function singular(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (/(ss|us|is)$/.test(word)) return word; // "dress", "iris"
  if (/ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ches|shes|sses|xes|zes)$/.test(word)) return word.slice(0, -2); // "dresses", "boxes"
  if (/s$/.test(word)) return word.slice(0, -1);
  return word;
}

/** An instruction's tokens, folded: lower case, plurals to singular. */
export function lexTokens(text: string): string[] {
  return lexWords(text).map(singular);
}

/** An instruction's words, lower case, with "0-4" read as "0 to 4" (lexTokens before folding). */
export function lexWords(text: string): string[] {
  return words(text.replace(/(\d)\s*[-\u2013]\s*(\d)/g, '$1 to $2'));
}

/** What a phrase of the lexicon names. */
export type Concept =
  | { kind: 'dataset'; dataset: string }
  | { kind: 'class'; dataset: string; index: number }
  | { kind: 'group'; dataset: string; indices: number[] };

interface Phrase { tokens: string[]; concepts: Concept[] }

/** One match of a phrase in an instruction: tokens [start, end) name `concepts` (several when ambiguous). */
export interface LexMatch { start: number; end: number; concepts: Concept[]; /** Found through word vectors, not the lexicon. */ synonym?: boolean }

/** Phrases of a lexicon, keyed by their first token; longest first. */
export function compileLexicon(lexicon: Lexicon): Map<string, Phrase[]> {
  const byFirst = new Map<string, Phrase[]>();
  const add = (text: string, concept: Concept) => {
    const tokens = lexTokens(text);
    if (!tokens.length) return;
    const list = byFirst.get(tokens[0]) ?? [];
    const same = list.find((p) => p.tokens.join(' ') === tokens.join(' '));
    if (same) { if (!same.concepts.some((c) => JSON.stringify(c) === JSON.stringify(concept))) same.concepts.push(concept); }
    else list.push({ tokens, concepts: [concept] });
    byFirst.set(tokens[0], list.sort((a, b) => b.tokens.length - a.tokens.length));
  };
  for (const ds of lexicon) {
    for (const k of [ds.name, ...ds.keywords]) add(k, { kind: 'dataset', dataset: ds.name });
    ds.classes.forEach((c, index) => { for (const a of [c.name, ...c.aliases]) add(a, { kind: 'class', dataset: ds.name, index }); });
    for (const g of ds.groups) {
      const indices = g.classes.map((n) => {
        const i = ds.classes.findIndex((c) => c.name === n);
        if (i < 0) throw new Error(`lexicon of "${ds.name}": group "${g.name}" names an unknown class "${n}" (classes: ${ds.classes.map((c) => c.name).join(', ')})`);
        return i;
      });
      for (const a of [g.name, ...g.aliases]) add(a, { kind: 'group', dataset: ds.name, indices });
    }
  }
  return byFirst;
}

/** Match an instruction's tokens against compiled phrases, left to right, longest phrase first. */
export function matchTokens(tokens: string[], phrases: Map<string, Phrase[]>): { matches: LexMatch[]; unmatched: number[] } {
  const matches: LexMatch[] = [];
  const unmatched: number[] = [];
  for (let i = 0; i < tokens.length;) {
    const hit = (phrases.get(tokens[i]) ?? []).find((p) => p.tokens.every((t, j) => tokens[i + j] === t));
    // "2 classes", "10-way": a count, not the class "2"
    const isCount = (/^\d+$/.test(tokens[i]) || NUMBER_WORDS.includes(tokens[i])) && COUNT_NOUNS.has(tokens[i + 1] ?? '');
    if (hit && !isCount) {
      matches.push({ start: i, end: i + hit.tokens.length, concepts: hit.concepts });
      i += hit.tokens.length;
    } else {
      unmatched.push(i);
      i += 1;
    }
  }
  return { matches: ranges(tokens, matches), unmatched };
}

const RANGE_WORDS = new Set(['to', 'through', 'thru', 'until']);

/** "0 to 4", "0-4" (split into "0", "4" with "to" put back by lexTokens): one match for the classes 0..4. */
function ranges(tokens: string[], matches: LexMatch[]): LexMatch[] {
  const out: LexMatch[] = [];
  for (let k = 0; k < matches.length; k++) {
    const a = matches[k], b = matches[k + 1];
    if (b && b.start === a.end + 1 && RANGE_WORDS.has(tokens[a.end])) {
      const grouped = a.concepts.flatMap((ca) => b.concepts.flatMap((cb): Concept[] =>
        ca.kind === 'class' && cb.kind === 'class' && ca.dataset === cb.dataset && cb.index > ca.index
          ? [{ kind: 'group', dataset: ca.dataset, indices: Array.from({ length: cb.index - ca.index + 1 }, (_, i) => ca.index + i) }] : []));
      if (grouped.length) { out.push({ start: a.start, end: b.end, concepts: grouped }); k++; continue; }
    }
    out.push(a);
  }
  return out;
}

/** What an instruction asks for, as far as the lexicon tells. */
export interface InstructionParse {
  /** The dataset meant (named, or implied by the classes), or undefined. */
  dataset?: string;
  /** Classes in the order the instruction names them (groups expanded in label order), deduplicated. */
  classes: number[];
  /** True when no class is named: the whole dataset is meant. */
  all: boolean;
}

/**
 * Resolve the matches to one dataset and its classes. The dataset is the one named (the first, if several), else
 * the one whose classes the matches name most; an ambiguous class phrase counts for each dataset it can mean.
 */
export function resolveMatches(matches: LexMatch[]): InstructionParse {
  // Lexicon matches decide before synonyms: a dataset named, else the one its classes name most.
  const pick = (ms: LexMatch[]) => {
    const named = ms.flatMap((m) => m.concepts.filter((c) => c.kind === 'dataset').map((c) => c.dataset));
    if (named.length) return named[0];
    const votes = new Map<string, number>();
    for (const m of ms) for (const d of new Set(m.concepts.map((c) => c.dataset))) votes.set(d, (votes.get(d) ?? 0) + 1);
    return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  };
  const dataset = pick(matches.filter((m) => !m.synonym)) ?? pick(matches);
  const picked = matches.map((m) => m.concepts.find((x) => x.dataset === dataset && x.kind !== 'dataset')).filter((c): c is Concept => !!c);
  const named = picked.flatMap((c) => (c.kind === 'class' ? [c.index] : []));
  const classes: number[] = [];
  for (const c of picked) {
    // a group that only frames classes named on their own ("which shoe: sneaker or boot") adds none of its own
    if (c.kind === 'group' && named.length && named.every((i) => c.indices.includes(i))) continue;
    for (const i of c.kind === 'class' ? [c.index] : c.kind === 'group' ? c.indices : []) if (!classes.includes(i)) classes.push(i);
  }
  return { dataset, classes, all: classes.length === 0 };
}

/**
 * Which dataset and classes an instruction names, in its own order (lexicon only; no word vectors).
 * @example parseInstruction('is it a nine or a four?', lexicon) // { dataset: 'mnist', classes: [9, 4], all: false }
 */
export function parseInstruction(text: string, lexicon: Lexicon): InstructionParse {
  return resolveMatches(matchTokens(lexTokens(text), compileLexicon(lexicon)).matches);
}

/** How a dataset's classes are said (the zoo's task phrasing: item = singular, plural = plural). */
interface LexiconPhrasing {
  subject?: string;
  samples?: string;
  item?: (name: string) => string;
  plural?: (name: string) => string;
  keywords?: string[];
  groups?: { name: string; aliases?: string[]; classes: string[] }[];
}

/**
 * The lexicon entry of a dataset from its class names and phrasing: each class is named by its name, its slug
 * words, each "/" alternative ("T-shirt/top" -> "t-shirt", "top"), its singular and plural wording, its head noun
 * when no other class shares it ("Ankle boot" -> "boot"), and its number word for "0".."9".
 * @example datasetLexicon({ name: 'mnist', classes: ['0', '1'] }, { subject: 'handwritten digits' })
 */
export function datasetLexicon(dataset: { name: string; classes: string[] }, phrasing: LexiconPhrasing = {}): LexiconDataset {
  const heads = dataset.classes.map((n) => { const w = words(n); return w.length > 1 ? w[w.length - 1] : ''; });
  const classes = dataset.classes.map((name, i) => {
    const aliases = new Set<string>();
    for (const alt of name.split('/')) aliases.add(alt);
    if (phrasing.item) aliases.add(phrasing.item(name));
    if (phrasing.plural) for (const alt of phrasing.plural(name).split('/')) aliases.add(alt);
    const head = heads[i];
    const clash = dataset.classes.some((other, j) => j !== i && (heads[j] === head || lexTokens(other).join(' ') === singular(head)));
    if (head && !clash) aliases.add(head);
    if (/^\d$/.test(name)) aliases.add(NUMBER_WORDS[Number(name)]).add(`${NUMBER_WORDS[Number(name)]}es`); // "zeroes"
    aliases.delete(name);
    return { name, aliases: [...aliases] };
  });
  const keywords = [...new Set([dataset.name, ...(phrasing.subject ? [phrasing.subject] : []), ...(phrasing.samples ? [phrasing.samples] : []), ...(phrasing.keywords ?? [])])];
  return { name: dataset.name, keywords, classes, groups: (phrasing.groups ?? []).map((g) => ({ name: g.name, aliases: g.aliases ?? [], classes: g.classes })) };
}
