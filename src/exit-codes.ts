/** Exit codes of every `tessera` command. Scripts rely on them; they never change. */
export const EXIT_CODES = {
  ok: 0,
  checkFailed: 1,
  badInput: 2,
} as const;
