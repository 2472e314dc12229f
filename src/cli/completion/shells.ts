/** The shells `completion` renders for (a file of its own so the command can list them cheaply). */
export const SHELLS = ['bash', 'zsh', 'powershell'] as const;
export type Shell = (typeof SHELLS)[number];
