import { parseAllDocuments } from 'yaml';
import type { RuntimeObject } from '../contract/types.js';
import { InvalidObjectError } from '../errors/index.js';

/**
 * The objects in a YAML or JSON manifest: every document of a multi-document file, with `*List`
 * kinds (ConfigMapList, RoleList, List, …) and top-level arrays expanded into their items. Empty
 * documents are skipped.
 */
export function parseManifests(text: string, source = 'manifest'): RuntimeObject[] {
  return parseAllDocuments(text).flatMap((document, index) => {
    const problem = document.errors[0];
    if (problem) {
      throw new InvalidObjectError(`${source}: document ${index + 1}: ${problem.message.split('\n')[0]}`, {
        field: '',
      });
    }
    return expandList(document.toJS());
  });
}

export function expandList(document: unknown): RuntimeObject[] {
  if (document === null || document === undefined) return [];
  if (Array.isArray(document)) return document.flatMap(expandList);
  const value = document as Partial<RuntimeObject> & { items?: unknown };
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
    return value.items as RuntimeObject[];
  }
  return [value as RuntimeObject];
}
