import { z } from 'zod';

/**
 * Text other people read (nicknames, chat): any character but those of Unicode category C
 * (controls such as newline or escape, format characters such as the bidi overrides U+202A..U+202E
 * and isolates U+2066..U+2069 that make text display other than it is stored, zero-width spaces,
 * surrogates, private use, unassigned), except the zero-width joiner and non-joiner (U+200D,
 * U+200C): emoji sequences and Persian or Indic words need them, and they reorder nothing.
 */
export const READABLE_TEXT = /^(?:[^\p{C}]|[\u200C\u200D])*$/u;

export const READABLE_TEXT_MESSAGE = 'no control, format or bidi-override characters';

/** Trimmed readable text of 1..maxChars characters; anything else is refused (never stripped). */
export function readableText(maxChars: number) {
  return z.string().trim().min(1).max(maxChars).regex(READABLE_TEXT, READABLE_TEXT_MESSAGE);
}
