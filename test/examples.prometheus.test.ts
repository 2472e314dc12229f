/**
 * examples/prometheus/: the README's configuration snippet drives a real run against the simulator,
 * whose metrics file must parse as the text exposition format (a parser of our own, strict); the
 * alert rules (JSON, which is valid YAML: no YAML parser is needed) must have the shape Prometheus
 * loads and name only metrics that file holds.
 */
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers/cli.js';
import { ingest } from './helpers/run.js';
import { parseExposition } from './helpers/prometheus.js';
import { startSimWorkspace } from './helpers/sim.js';

const DIR = path.join(ROOT, 'examples', 'prometheus');

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** PromQL words the rules may use besides metric names. */
const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'time', 'delta', 'deriv', 'increase', 'rate', 'absent']);

function rules(): Rule[] {
  const doc = JSON.parse(readFileSync(path.join(DIR, 'alerts.yml'), 'utf8')) as { groups?: unknown };
  assert.ok(Array.isArray(doc.groups) && doc.groups.length > 0, 'groups');
  const out: Rule[] = [];
  for (const group of doc.groups as { name?: unknown; rules?: unknown }[]) {
    assert.equal(typeof group.name, 'string');
    assert.deepEqual(Object.keys(group).sort(), ['name', 'rules']);
    assert.ok(Array.isArray(group.rules));
    for (const rule of group.rules as Rule[]) {
      assert.deepEqual(
        Object.keys(rule).sort(),
        ['alert', 'annotations', 'expr', 'for', 'labels'],
        rule.alert,
      );
      assert.match(rule.alert, /^[A-Z][A-Za-z]+$/);
      assert.match(rule.for, /^\d+[smh]$/, `${rule.alert}: for`);
      assert.ok(['warning', 'critical'].includes(rule.labels.severity ?? ''), `${rule.alert}: severity`);
      assert.ok((rule.annotations.summary ?? '').length > 0, `${rule.alert}: summary`);
      out.push(rule);
    }
  }
  return out;
}

/** The metric names an expression reads (identifiers that are not PromQL words, durations or numbers). */
function metricNames(expr: string): string[] {
  const withoutRanges = expr.replace(/\[[^\]]*\]/g, '');
  const words = withoutRanges.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  const unknown = words.filter((w) => !w.startsWith('genesys_ingest_') && !PROMQL_WORDS.has(w));
  assert.deepEqual(unknown, [], `${expr}: only metrics of the tool and known PromQL words`);
  return words.filter((w) => w.startsWith('genesys_ingest_'));
}

describe('examples/prometheus', () => {
  it('the README snippet makes a run write a valid metrics file; every alert rule reads only its metrics', async (t) => {
    const readme = readFileSync(path.join(DIR, 'README.md'), 'utf8');
    const block = /```json\n([\s\S]*?)```/.exec(readme);
    assert.ok(block !== null, 'the README has a JSON configuration snippet');
    const snippet = JSON.parse(block[1]!) as { metricsFile: string };
    assert.deepEqual(Object.keys(snippet), ['metricsFile']);
    // The snippet's absolute path, moved under the test's folder (the test does not write /var/lib).
    const setup = await startSimWorkspace({ spec: { seed: 'prometheus', conversations: 5 } });
    t.after(() => setup.cleanup());
    const file = path.join(setup.ws.dir, snippet.metricsFile);
    await setup.ws.writeConfig({ metricsFile: file });
    const { result } = await ingest(setup.ws);
    assert.ok(result.code === 0 || result.code === 1, result.stderr);
    const exposition = parseExposition(await fs.readFile(file, 'utf8'));
    for (const sample of exposition.samples) assert.equal(sample.labels.import_source, 'pol1_src1');
    const written = new Set(exposition.type.keys());
    assert.equal(written.size, 11, 'the eleven metrics of SPEC §8.4');

    const all = rules();
    const names = all.map((r) => r.alert);
    for (const wanted of [
      'GenesysIngestLagging',
      'GenesysIngestRetryBufferGrowing',
      'GenesysIngestLastRunFailed',
      'GenesysIngestNoRecentRun',
    ])
      assert.ok(names.includes(wanted), wanted);
    for (const rule of all) {
      const used = metricNames(rule.expr);
      assert.ok(used.length > 0, `${rule.alert} reads a metric`);
      for (const name of used) assert.ok(written.has(name), `${rule.alert}: ${name} is written by the tool`);
      assert.ok(readme.includes(rule.alert), `the README describes ${rule.alert}`);
    }
  });
});
