/**
 * Text from the service (ids, messages, a webhook receiver's answer kept as `lastError`) goes to
 * an operator's terminal. Control characters in it could move the cursor, rewrite or hide lines,
 * or set the window title; they are shown as `\xNN` instead. Line breaks and tabs stay where the
 * output is meant to span lines.
 */
/** Unicode's control characters (C0, DEL and C1), but line feeds and tabs. */
const CONTROLS = /(?![\n\t])\p{Cc}/gu;
const CONTROLS_AND_BREAKS = /\p{Cc}/gu;

const shownAsHex = (char: string) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** `text` with every control character but line breaks and tabs escaped. */
export const printable = (text: string): string => text.replace(CONTROLS, shownAsHex);

/** `text` on one line: line breaks and tabs escaped too (a table cell, a field of a message). */
export const printableLine = (text: string): string => text.replace(CONTROLS_AND_BREAKS, shownAsHex);
