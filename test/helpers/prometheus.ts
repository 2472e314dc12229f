/**
 * A small, strict reader of the Prometheus text exposition format (version 0.0.4), enough to check
 * what the tool writes: every line is a `# HELP`, a `# TYPE` or a sample; names and label names are
 * valid; label values are quoted with the format's escapes; every metric has HELP and TYPE before
 * its samples; a counter's name ends in `_total`. Throws on anything else, naming the line.
 */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: a label without a value`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: invalid label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label ${name} is not quoted`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j += 1) {
      if (text[j] === '\\') {
        const next = text[j + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`${where}: invalid escape \\${next ?? ''} in label ${name}`);
        j += 1;
      } else if (text[j] === '\n') {
        throw new Error(`${where}: a raw line feed in label ${name}`);
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`${where}: label ${name} is not closed`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i += 1;
    else if (i < text.length) throw new Error(`${where}: expected , after label ${name}`);
  }
  return labels;
}

export function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the text does not end with a line feed');
  const out: Exposition = { help: new Map(), type: new Map(), samples: [] };
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, index) => {
    const where = `line ${index + 1}`;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment !== null) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: invalid metric name ${name}`);
      const map = kind === 'HELP' ? out.help : out.type;
      if (map.has(name)) throw new Error(`${where}: second ${kind} for ${name}`);
      if (out.samples.some((s) => s.name === name))
        throw new Error(`${where}: ${kind} after samples of ${name}`);
      if (kind === 'TYPE' && !['counter', 'gauge', 'untyped', 'summary', 'histogram'].includes(rest))
        throw new Error(`${where}: unknown type ${rest}`);
      if (kind === 'HELP' && rest.trim() === '') throw new Error(`${where}: empty HELP for ${name}`);
      map.set(name, rest);
      return;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample === null)
      throw new Error(`${where}: neither HELP, TYPE nor a sample: ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = sample as unknown as [string, string, string | undefined, string];
    if (!out.help.has(name) || !out.type.has(name))
      throw new Error(`${where}: sample of ${name} before its HELP and TYPE`);
    const value = Number(valueText);
    if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(valueText) || !Number.isFinite(value))
      throw new Error(`${where}: value ${valueText} is not a number`);
    out.samples.push({ name, labels: parseLabels(labelText ?? '', where), value });
  });
  for (const name of out.type.keys()) {
    if (!out.help.has(name)) throw new Error(`${name} has TYPE without HELP`);
    if (out.type.get(name) === 'counter' && !name.endsWith('_total'))
      throw new Error(`counter ${name} does not end in _total`);
  }
  for (const name of out.help.keys())
    if (!out.type.has(name)) throw new Error(`${name} has HELP without TYPE`);
  return out;
}

/** The one sample of `name` whose labels include `labels`; throws when there is not exactly one. */
export function sampleValue(exp: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = exp.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
}
