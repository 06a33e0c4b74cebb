/**
 * Bounds on request fields when the graph does not set its own: wide enough
 * for real documents and photos, small enough that one request cannot tie up
 * a tokenizer for seconds or a decoder for gigabytes.
 */
export const INPUT_LIMIT_DEFAULTS = {
  maxTextChars: 100_000,
  maxTotalChars: 1_000_000,
  maxItems: 10_000,
  maxImagePixels: 40_000_000,
} as const;
