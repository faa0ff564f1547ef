/** Whether `text` is a URL fetch and the AWS SDK can use: http:// or https://. */
export function isHttpUrl(text: string): boolean {
  const protocol = URL.canParse(text) ? new URL(text).protocol : undefined;
  return protocol === 'http:' || protocol === 'https:';
}
