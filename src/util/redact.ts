/**
 * Secrets never appear in any output, log, report or error (SPEC §2). Every secret the process
 * learns (client secret, access tokens, passwords, signed URL query parts) is registered here, and
 * `redact()` removes it in plain, base64, base64url, hex and URL-encoded forms from text about to
 * be written anywhere.
 */
const secrets = new Set<string>();
let patterns: string[] = [];

/** Remembers a secret value; returns it unchanged so it can wrap an assignment. */
export function registerSecret<T extends string>(value: T): T {
  if (value.length >= 4 && !secrets.has(value)) {
    secrets.add(value);
    rebuild();
  }
  return value;
}

function rebuild(): void {
  const forms = new Set<string>();
  for (const s of secrets) {
    const buf = Buffer.from(s, 'utf8');
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(buf.toString('hex'));
    forms.add(buf.toString('hex').toUpperCase());
    forms.add(buf.toString('base64'));
    forms.add(buf.toString('base64url'));
    forms.add(buf.toString('base64').replace(/=+$/, ''));
  }
  // Longest first, so a secret that contains another is removed whole.
  patterns = [...forms].filter((f) => f.length >= 4).sort((a, b) => b.length - a.length);
}

/** Replaces every registered secret (in every encoding) in `text` with `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const p of patterns) {
    if (out.includes(p)) out = out.split(p).join('[redacted]');
  }
  // Signed media URLs: whatever their query carries is a credential.
  return out.replace(/(https?:\/\/[^\s"'<>?]+)\?[^\s"'<>]*/g, '$1?[redacted]');
}
