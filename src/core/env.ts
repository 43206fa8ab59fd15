/** An environment variable where there is a process (Node, Deno's compat), else undefined (browsers). */
export function envVar(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.[name];
}
