import { ENGLISH, type Translator } from '../i18n';

/** "86400" → "1 day", "90000" → "1 day 1 hour": the Maximum Age hint beside the seconds, in the translator's language. */
export function humanDuration(seconds: number, t: Translator = ENGLISH): string {
  return t.duration(seconds);
}
