/** One line of `verify`'s report (SPEC §1): `{name, ok, detail, hint}`. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

export function pass(name: string, detail: string): Check {
  return { name, ok: true, detail };
}

/** A passing check that still asks for the operator's attention. */
export function warning(name: string, detail: string, hint?: string): Check {
  return hint === undefined
    ? { name, ok: true, detail: `warning: ${detail}` }
    : { name, ok: true, detail: `warning: ${detail}`, hint };
}

export function fail(name: string, detail: string, hint?: string): Check {
  return hint === undefined ? { name, ok: false, detail } : { name, ok: false, detail, hint };
}
