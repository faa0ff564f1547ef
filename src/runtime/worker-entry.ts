/**
 * Where the actor worker's module is, for the layout this file was loaded from. Source and build
 * share the layout (src/runtime/ beside workers/, dist/src/runtime/ beside dist/workers/), so the
 * entry sits at the same relative path and only the extension differs. Under TypeScript the worker
 * also needs tsx's loader; a Worker inherits it only when the parent process was started with it.
 */
export interface WorkerEntry {
  readonly filename: string;
  /** undefined: inherit the parent's execArgv (piscina's default). */
  readonly execArgv: string[] | undefined;
}

export function resolveWorkerEntry(): WorkerEntry {
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = new URL(`../../workers/actor-host.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  if (!fromSource) return { filename, execArgv: undefined };
  const loader = import.meta.resolve('tsx');
  const inherited = process.execArgv;
  const hasTsx = inherited.some((arg) => arg === loader || arg === 'tsx' || arg === 'tsx/esm');
  return { filename, execArgv: hasTsx ? undefined : [...inherited, '--import', loader] };
}
