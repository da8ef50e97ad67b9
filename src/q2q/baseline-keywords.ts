// The keyword stems of the baseline scorer (baseline-rules.ts), per language and outcome dimension.
// A stem matches a lower-cased word that starts with it (`confiden` matches confident and confidence,
// `впевнен` matches впевненіше, `trygg` matches tryggere); a stem ending in `=` matches only the whole
// word (`fin=` is "nice", not finne). When a word matches several stems of a dimension, the longest
// wins, so `homesick` counts against belonging although `home` counts for it. Changing a list changes
// the scores: bump BASELINE_MODEL_VERSION.
import type { Q2qDimension } from './contract.ts';

export type ScoredLanguage = 'en' | 'uk' | 'no';

export interface KeywordList {
  positive: readonly string[];
  negative: readonly string[];
}

const words = (list: string): string[] => list.split(/\s+/).filter(Boolean);
const dim = (positive: string, negative: string): KeywordList => ({
  positive: words(positive),
  negative: words(negative),
});

export const KEYWORDS: Record<ScoredLanguage, Record<Q2qDimension, KeywordList>> = {
  en: {
    well_being: dim(
      'happy hope better glad calm relax enjoy rewarding great',
      'lonely worr stress tired hard difficult overwhelm sad anxious',
    ),
    belonging: dim(
      'friend home welcom together communit belong connect along',
      'lonely alone isolat outsider exclud stranger homesick',
    ),
    confidence: dim(
      'confiden proud independen own= progress brave motivat',
      'nervous afraid unsure insecure shy',
    ),
    job_readiness: dim(
      'job interview cv= career employ applying application internship',
      'unemploy rejected fired jobless',
    ),
    lang_level_proxy: dim('norwegian language fluent speak practis practic', 'misunderstand translat'),
  },
  uk: {
    well_being: dim(
      'наді краще добре радіс радий щаслив спокі чудов',
      'самотн хвилю пережива важк виснаж погано втом стрес сумн',
    ),
    belonging: dim('друз друг= вдома разом спільнот ладнаєм зустріча', 'самотн чуж ізоляц ізольов'),
    confidence: dim('впевнен самостійн прогрес пишаю вмотивов', 'невпевнен хвилю бою страш'),
    job_readiness: dim("робот співбесід вакансі резюме кар'єр праці працю", 'безробіт відмов звільн'),
    lang_level_proxy: dim('норвезьк мові мова мову говор розумі', 'перекла'),
  },
  no: {
    well_being: dim(
      'bedre glad godt håp trives rolig fint= fin= lykkelig',
      'ensom tung vanskelig bekym stress sliten trist nervøs',
    ),
    belonging: dim('venn hjemme sammen fellesskap trives inkluder møtes', 'ensom alene utenfor isoler'),
    confidence: dim('trygg selvsikker stolt fremgang egen motivert modig', 'nervøs usikker redd'),
    job_readiness: dim('jobb intervju cv= arbeid søke karriere praksis', 'arbeidsledig avslag oppsagt'),
    lang_level_proxy: dim('norsk språk snakk forstå', 'misforst oversett'),
  },
};

/** Function words that tell English from Norwegian in Latin-script text (language detection). */
export const FUNCTION_WORDS: Record<'en' | 'no', ReadonlySet<string>> = {
  en: new Set(words('the and is my with of we it was have this but not very she he me feel every so are in')),
  no: new Set(
    words('og er jeg det ikke med på meg min vi har til som veldig nå hun han en et av mye litt når'),
  ),
};

/** Capitalised words a snippet keeps although they are not at a sentence start (not names). */
export const NOT_NAMES: ReadonlySet<string> = new Set(
  words('I English Norwegian Ukrainian Norway Ukraine NAV CV Monday Tuesday Wednesday Thursday Friday'),
);
