import { quoted } from '../errors/quoted.js';

/**
 * Why `text` is not a URL that fetch and the AWS SDK can use as a base: not http:// or https://,
 * credentials in it (fetch refuses them, and a message quoting the URL would show the password), or
 * a query or fragment (the paths appended to it would land inside them). Undefined when it is fine.
 */
export function httpUrlProblem(text: string): string | undefined {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    return `expected an http:// or https:// URL, got ${quoted(withoutSecrets(text))}`;
  }
  if (url.username !== '' || url.password !== '')
    return 'the URL must not carry credentials (user:password@)';
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) {
    // Not quoted whole: what follows the ? or # can be a token someone appended.
    return `the URL must not carry a query (?) or a fragment (#): ${quoted(`${url.origin}${url.pathname}`)} was followed by one (not shown)`;
  }
  return undefined;
}

/**
 * `text` as a message may quote it: what follows a ? or # (a token someone appended) and what
 * precedes an @ (user:password) are left out, whatever the scheme, or none: `ftp://admin:pw@host`
 * and `host:9464/?token=…` were quoted back whole.
 */
function withoutSecrets(text: string): string {
  const cut = text.search(/[?#]/);
  const head = cut === -1 ? text : `${text.slice(0, cut)}${text[cut]}…`;
  const at = head.lastIndexOf('@');
  if (at === -1) return head;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(head)?.[0] ?? '';
  return `${scheme}…@${head.slice(at + 1)}`;
}
