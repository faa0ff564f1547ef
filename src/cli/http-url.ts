import { quoted } from '../errors/quoted.js';

/**
 * Why `text` is not a URL that fetch and the AWS SDK can use as a base: not http:// or https://,
 * credentials in it (fetch refuses them, and a message quoting the URL would show the password), or
 * a query or fragment (the paths appended to it would land inside them). Undefined when it is fine.
 */
export function httpUrlProblem(text: string): string | undefined {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    return `expected an http:// or https:// URL, got ${quoted(text)}`;
  }
  if (url.username !== '' || url.password !== '')
    return 'the URL must not carry credentials (user:password@)';
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) {
    // Not quoted whole: what follows the ? or # can be a token someone appended.
    return `the URL must not carry a query (?) or a fragment (#): ${quoted(`${url.origin}${url.pathname}`)} was followed by one (not shown)`;
  }
  return undefined;
}
