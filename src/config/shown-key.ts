/** What a field name, or a list index, looks like. */
const FIELD_NAME = /^(?:[A-Za-z_][A-Za-z0-9_-]{0,63}|\d{1,9})$/;

/** YAML 1.2 has no merge keys, so `<<: *defaults` is a key named "<<" like any other. */
const MERGE_KEY = '<<';

/**
 * A configuration key as an error message may show it. An unknown key can be a value that became
 * one: a missing colon in `{accessKeyId: A, secretAccessKey wJalr…}` made the secret part of a key,
 * which the message then printed. So only a key shaped like a field name is shown.
 */
export function shownKey(key: string): string {
  return FIELD_NAME.test(key) || key === MERGE_KEY ? key : '<a key that is no field name, not shown>';
}

/** An unknown key as the message that refuses it names it: a merge key says it is one. */
export function unknownKeyShown(key: string): string {
  return key === MERGE_KEY
    ? '<< (a YAML merge key, which is not supported: write the fields out)'
    : shownKey(key);
}

/** A field path as an error message may show it. */
export function shownPath(path: readonly PropertyKey[]): string {
  return path.map((segment) => shownKey(String(segment))).join('.');
}
