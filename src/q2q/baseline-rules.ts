// The baseline scorer: keyword rules in English, Ukrainian and Norwegian (baseline-keywords.ts). A
// baseline to compare models against and to fill the tables end to end, not a model. Pure: no I/O.
import { FUNCTION_WORDS, KEYWORDS, NOT_NAMES, type KeywordList } from './baseline-keywords.ts';
import type { OutcomeScored, Q2qDimension, Q2qLanguageCode, TextRequested } from './contract.ts';

export const BASELINE_MODEL_VERSION = 'baseline-rules-1';
export const MAX_SNIPPETS = 3;
const MAX_SNIPPET_CHARS = 500;
/** Each net keyword moves the score by this much from the neutral 0.5. */
const STEP = 0.15;

export interface BaselineScores {
  language: Q2qLanguageCode;
  scores: { dimension: Q2qDimension; score: number; confidence: number }[];
  topics: string[];
  snippets: { text: string; sourceRef: string }[];
}

const WORD = /[\p{L}\p{M}']+/gu;

/** Lower-cased words; the apostrophes of Ukrainian (’ ʼ) become ', as in the stems. */
export function wordsOf(text: string): string[] {
  const normalised = text.replace(/[’ʼ]/g, "'").toLowerCase();
  return (normalised.match(WORD) ?? []).map((w) => w.replace(/^'+|'+$/g, '')).filter(Boolean);
}

export function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?…])\s+|\n+/u)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The language of the text from its characters: mostly Cyrillic -> uk (the only Cyrillic language Q2Q
 * scores); æ, ø or å -> no; otherwise whichever of English and Norwegian has more function words; a tie
 * or no letters -> unknown.
 */
export function detectLanguage(text: string): Q2qLanguageCode {
  const cyrillic = text.match(/\p{Script=Cyrillic}/gu)?.length ?? 0;
  const latin = text.match(/\p{Script=Latin}/gu)?.length ?? 0;
  if (cyrillic === 0 && latin === 0) return 'unknown';
  if (cyrillic > latin) return 'uk';
  if (/[æøå]/i.test(text)) return 'no';
  let en = 0;
  let no = 0;
  for (const word of wordsOf(text)) {
    if (FUNCTION_WORDS.en.has(word)) en++;
    if (FUNCTION_WORDS.no.has(word)) no++;
  }
  return en > no ? 'en' : no > en ? 'no' : 'unknown';
}

/** The longest stem of the list that matches the word, with its polarity. */
function match(word: string, list: KeywordList): { stem: string; positive: boolean } | undefined {
  let best: { stem: string; positive: boolean } | undefined;
  for (const [positive, stems] of [
    [true, list.positive],
    [false, list.negative],
  ] as const) {
    for (const entry of stems) {
      const whole = entry.endsWith('=');
      const stem = whole ? entry.slice(0, -1) : entry;
      const hit = whole ? word === stem : word.startsWith(stem);
      if (hit && (!best || stem.length > best.stem.length)) best = { stem, positive };
    }
  }
  return best;
}

/**
 * A light de-identification of a snippet: e-mail addresses, links and long digit runs (phone numbers,
 * ids) are replaced, and so is every capitalised word that does not start a sentence or follow a colon
 * (names), except a few known words (NOT_NAMES). A heuristic: it can miss a name written in lower case.
 */
export function deidentify(sentence: string): string {
  const cut = [...sentence].slice(0, MAX_SNIPPET_CHARS).join('');
  return cut
    .replace(/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)+/gu, '[email]')
    .replace(/https?:\/\/\S+/gu, '[link]')
    .replace(/\+?\d[\d\s-]{4,}\d/gu, '[number]')
    .replace(/(?<=[\p{L}\p{N},;)]\s+)\p{Lu}[\p{L}\p{M}'’ʼ-]*/gu, (word) =>
      NOT_NAMES.has(word) ? word : '[name]',
    );
}

const clamp = (x: number) => Math.min(1, Math.max(0, x));
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Scores `dimensions` of `text`. Per dimension, pos and neg count the words matching a positive or a
 * negative stem: score = clamp(0.5 + 0.15 * (pos - neg), 0, 1), confidence = min(0.6, 0.1 + 0.1 * (pos +
 * neg)) (low, growing with the evidence). The language is detected from the text, and again per
 * sentence; the record's language (the author's preference) is only the fallback when detection says
 * unknown.
 */
export function scoreText(
  text: string,
  recordLanguage: Q2qLanguageCode,
  dimensions: readonly Q2qDimension[],
): BaselineScores {
  const detected = detectLanguage(text);
  const language = detected === 'unknown' ? recordLanguage : detected;
  const sentences = sentencesOf(text);
  // Per sentence too: a skill session's teacher and learner may write in different languages.
  const perSentence = sentences.map((sentence) => {
    const own = detectLanguage(sentence);
    const lang = own === 'unknown' ? language : own;
    return { words: wordsOf(sentence), lists: lang === 'unknown' ? undefined : KEYWORDS[lang] };
  });
  const topics: string[] = [];
  const matched = new Set<number>();
  const scores = [...new Set(dimensions)].map((dimension) => {
    let pos = 0;
    let neg = 0;
    perSentence.forEach(({ words, lists }, i) => {
      for (const word of lists ? words : []) {
        const hit = match(word, lists![dimension]);
        if (!hit) continue;
        if (hit.positive) pos++;
        else neg++;
        matched.add(i);
        if (!topics.includes(hit.stem)) topics.push(hit.stem);
      }
    });
    const score = round3(clamp(0.5 + STEP * (pos - neg)));
    return { dimension, score, confidence: round3(Math.min(0.6, 0.1 + 0.1 * (pos + neg))) };
  });
  const snippets = [...matched]
    .sort((a, b) => a - b)
    .slice(0, MAX_SNIPPETS)
    .map((i) => ({ text: deidentify(sentences[i]!), sourceRef: `sentence:${i + 1}` }));
  return { language, scores, topics, snippets };
}

/** The q2q.outcome.scored result of one q2q.text.requested record. */
export function baselineResult(request: TextRequested): OutcomeScored {
  const r = scoreText(request.text, request.language, request.expectedDimensions);
  return {
    textId: request.textId,
    textType: request.textType,
    scores: r.scores,
    modelVersion: BASELINE_MODEL_VERSION,
    method: 'rule_based',
    providerUsed: null,
    language: r.language,
    topics: r.topics,
    snippets: r.snippets,
  };
}
