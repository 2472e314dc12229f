/**
 * The files in examples/ are what operators copy. Each is checked here as far as it can be without
 * the scheduler it is for: every configuration passes `verify --offline` with the built CLI, and the
 * scheduler files carry the settings the README promises (every 5 minutes, never two runs at once,
 * the secret from outside the file).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { generatePki, writePki, type PkiFiles, type TestPki } from '../sim/src/certs.js';
import { ROOT, baseEnv, runCli, tempDir } from './helpers/cli.js';

const EXAMPLES = path.join(ROOT, 'examples');
/** The Kubernetes manifests, each with a ConfigMap holding `genesys-ingest.json`. */
const KUBERNETES_MANIFESTS = ['kubernetes/cronjob.yaml', 'kubernetes/cronjob-s3.yaml'];
const CONFIGS = path.join(EXAMPLES, 'configs');
const SECRET = 'examples-test-secret-5c1d8e';
const PROXY_PASSWORD = 'examples-proxy-pass-9a7b3f';

type Json = Record<string, unknown>;

interface VerifyDoc {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string; hint?: string }[];
}

function readText(relative: string): string {
  return readFileSync(path.join(EXAMPLES, relative), 'utf8');
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function configFiles(): string[] {
  return readdirSync(CONFIGS)
    .filter((name) => name.endsWith('.json'))
    .sort();
}

function readConfig(name: string): Json {
  const value: unknown = JSON.parse(readFileSync(path.join(CONFIGS, name), 'utf8'));
  assert.ok(isObject(value), `${name} holds one JSON object`);
  return value;
}

/** The configuration embedded in the Kubernetes ConfigMap (a `genesys-ingest.json: |` block). */
function kubernetesConfig(yaml: string): Json {
  const lines = yaml.split('\n');
  const start = lines.findIndex((line) => /^\s+genesys-ingest\.json: \|\s*$/.test(line));
  assert.ok(start >= 0, 'the ConfigMap has a genesys-ingest.json block');
  const keyIndent = /^\s*/.exec(lines[start]!)![0].length;
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && /^\s*/.exec(line)![0].length <= keyIndent) break;
    block.push(line);
  }
  const value: unknown = JSON.parse(block.join('\n'));
  assert.ok(isObject(value));
  return value;
}

/** Every key anywhere in `value`, with its dotted path. */
function allKeys(value: unknown, prefix = ''): string[] {
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => [
    `${prefix}${key}`,
    ...allKeys(inner, `${prefix}${key}.`),
  ]);
}

/** Where a configuration archives: its folder, or its bucket or container and prefix. */
function archiveOf(config: Json): string {
  const a = config.archive;
  if (!isObject(a)) return JSON.stringify(['filesystem', config.archiveDir]);
  return JSON.stringify([a.type, a.dir, a.endpoint, a.bucket, a.url, a.container, a.prefix ?? '']);
}

/** Store credentials are never in a configuration (SPEC §7): the loader knows no such key. */
const STORE_SECRET_KEY =
  /accesskey|secretaccesskey|sessiontoken|sastoken|connectionstring|accountkey|password$/i;

/**
 * A copy of an example configuration whose paths point into `dir`: state and archive folders, a
 * client secret file, and real PEM/PFX files wherever the example names TLS files, with the
 * thumbprint of the generated client certificate (SHA-1 or SHA-256, as the example has it).
 */
async function localCopy(config: Json, dir: string, pki: TestPki, files: PkiFiles): Promise<Json> {
  const copy = structuredClone(config);
  copy.stateDir = path.join(dir, 'state');
  // An object store stays as it is (verify --offline does not reach it); a folder moves into `dir`.
  if (copy.archive === undefined) copy.archiveDir = path.join(dir, 'archive');
  else if (isObject(copy.archive) && copy.archive.type === 'filesystem')
    copy.archive.dir = path.join(dir, 'archive');
  // Free space is the test machine's business, not the example's.
  copy.minFreeDiskMb = 0;
  if (copy.clientSecretFile !== undefined) {
    const secretFile = path.join(dir, 'client-secret');
    await fs.writeFile(secretFile, `${SECRET}\n`, { mode: 0o600 });
    copy.clientSecretFile = secretFile;
  }
  const tls = copy.tls;
  if (isObject(tls)) {
    if (tls.trustList !== undefined) tls.trustList = files.caCert;
    if (typeof tls.certFile === 'string') {
      const pfx = /\.(p12|pfx)$/i.test(tls.certFile);
      if (tls.keyFile !== undefined) {
        tls.certFile = files.clientCert;
        tls.keyFile = files.clientKey;
      } else {
        tls.certFile = pfx ? files.clientPfx : files.clientBundle;
      }
    }
    if (typeof tls.thumbprint === 'string') {
      const hexLength = tls.thumbprint.replace(/[:\s]/g, '').length;
      tls.thumbprint = hexLength === 40 ? pki.clientFingerprintSha1 : pki.clientFingerprintSha256;
    }
  }
  return copy;
}

/** Runs `verify --offline --json` on `config` written into `dir`, as the operator would. */
async function verifyOffline(config: Json, dir: string, pki: TestPki): Promise<VerifyDoc> {
  const configPath = path.join(dir, 'genesys-ingest.json');
  await fs.writeFile(configPath, JSON.stringify(config, null, 2));
  const env: NodeJS.ProcessEnv = { GENESYS_CLIENT_SECRET: SECRET };
  if (config.proxy !== undefined) env.GENESYS_PROXY_PASSWORD = PROXY_PASSWORD;
  if (config.tls !== undefined) env.GENESYS_TLS_KEY_PASSWORD = pki.pfxPassword;
  const r = await runCli(['verify', '--offline', '--json', '--config', configPath], {
    env: baseEnv(env),
    cwd: dir,
  });
  assert.equal(r.code, 0, `verify --offline exit code\n${r.stdout}\n${r.stderr}`);
  const doc = JSON.parse(r.stdout) as VerifyDoc;
  assert.equal(doc.ok, true, r.stdout);
  assert.ok(
    doc.checks.some((c) => c.name === 'config' && c.ok),
    'the config check passed',
  );
  for (const secret of [SECRET, PROXY_PASSWORD, pki.pfxPassword])
    assert.ok(!(r.stdout + r.stderr).includes(secret), 'no secret printed');
  assert.equal(existsSync(path.join(dir, 'state')), false, 'verify created no state folder');
  assert.equal(existsSync(path.join(dir, 'archive')), false, 'verify created no archive folder');
  return doc;
}

/** `[Section]` → key → values (a key may repeat), for systemd unit files. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current !== undefined && eq > 0, `a key=value line inside a section: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

function unitValue(unit: Map<string, Map<string, string[]>>, section: string, key: string): string {
  const values = unit.get(section)?.get(key);
  assert.ok(values !== undefined && values.length > 0, `[${section}] ${key}= is set`);
  return values[values.length - 1]!;
}

/** The scheduled command must start the script package.json names as the bin. */
function assertRunsTheBin(commandLine: string, where: string): void {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  const script = pkg.bin['genesys-ingest'];
  assert.ok(script !== undefined, 'package.json names the genesys-ingest bin');
  const normalized = commandLine.replace(/\\/g, '/');
  assert.ok(
    normalized.includes(`genesys-ingest/${script}`),
    `${where} starts <install>/node_modules/genesys-ingest/${script}: ${commandLine}`,
  );
  assert.match(normalized, /\.js"? run(\s|$)/, `${where} runs the "run" command`);
}

describe('examples/configs', () => {
  let dir: string;
  let pki: TestPki;
  let files: PkiFiles;

  before(async () => {
    assert.ok(
      existsSync(path.join(ROOT, 'dist', 'cli', 'main.js')),
      'the CLI is built (npm run build; npm test does it first)',
    );
    dir = await tempDir('gi-examples-');
    pki = generatePki();
    files = await writePki(pki, path.join(dir, 'pki'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('has the regional examples, with the login and API hosts of their region', () => {
    const regions: Record<string, string> = {
      'eu-west-1.json': 'mypurecloud.ie',
      'us-east-1.json': 'mypurecloud.com',
      'ap-southeast-2.json': 'mypurecloud.com.au',
    };
    for (const [file, domain] of Object.entries(regions)) {
      const config = readConfig(file);
      assert.equal(config.authUrl, `https://login.${domain}`, `${file} authUrl`);
      assert.equal(config.apiUrl, `https://api.${domain}`, `${file} apiUrl`);
    }
  });

  it('holds no secret: client secret, proxy password, key password and store credentials come from elsewhere', () => {
    const configs = [
      ...configFiles().map(readConfig),
      ...KUBERNETES_MANIFESTS.map((file) => kubernetesConfig(readText(file))),
    ];
    for (const config of configs) {
      const keys = allKeys(config);
      for (const secretKey of ['clientSecret', 'proxy.password', 'tls.keyPassword'])
        assert.ok(!keys.includes(secretKey), `${String(config.name)} has no ${secretKey}`);
      for (const key of keys.filter((k) => k.startsWith('archive.')))
        assert.doesNotMatch(key, STORE_SECRET_KEY, `${String(config.name)}: no store credential in ${key}`);
    }
  });

  it('can all run side by side: distinct import sources and archives', () => {
    const configs = configFiles().map(readConfig);
    const sources = configs.map((c) => `${String(c.policyId)}_${String(c.importSourceId)}`);
    assert.equal(new Set(sources).size, sources.length, `distinct <p_s>: ${sources.join(', ')}`);
    const archives = configs.map(archiveOf);
    assert.equal(new Set(archives).size, archives.length, `distinct archives: ${archives.join(', ')}`);
  });

  it('shows each archive target: S3 with Object Lock, MinIO, Azure Blob', () => {
    const aws = readConfig('s3-aws-object-lock.json');
    assert.ok(isObject(aws.archive) && aws.archiveDir === undefined);
    assert.equal(aws.archive.type, 's3');
    assert.deepEqual(aws.archive.objectLock, { mode: 'COMPLIANCE', retainDays: 2555 });
    assert.equal(aws.archive.serverSideEncryption, 'aws:kms');
    assert.match(String(aws.archive.kmsKeyId), /^arn:aws:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/);
    assert.equal(aws.archive.storageClass, 'STANDARD_IA');
    assert.equal(aws.archive.endpoint, undefined, 'AWS itself: no endpoint');
    assert.equal(
      String(aws.archive.region),
      /^arn:aws:kms:([a-z0-9-]+):/.exec(String(aws.archive.kmsKeyId))?.[1],
    );

    const minio = readConfig('s3-minio.json');
    assert.ok(isObject(minio.archive));
    assert.equal(minio.archive.type, 's3');
    assert.match(String(minio.archive.endpoint), /^https:\/\/[^/?#]+$/);
    assert.equal(minio.archive.forcePathStyle, true);
    assert.equal(minio.archive.useProxy, false);
    assert.ok(isObject(minio.proxy), 'a proxy that Genesys traffic takes and the store does not');
    assert.ok(isObject(minio.tls) && minio.tls.trustList !== undefined, 'the internal CA for the store');

    const azure = readConfig('azure-blob.json');
    assert.ok(isObject(azure.archive));
    assert.equal(azure.archive.type, 'azure');
    assert.match(String(azure.archive.url), /^https:\/\/[a-z0-9]{3,24}\.blob\.core\.windows\.net$/);
    assert.equal(azure.archive.accessTier, 'Cool');
    assert.match(String(azure.archive.container), /^[a-z0-9-]{3,63}$/);
  });

  it('shows the proxy and TLS settings, and delete after ingest with a lossless codec', () => {
    const tls = readConfig('with-proxy-and-tls.json');
    assert.ok(isObject(tls.proxy) && isObject(tls.tls));
    for (const key of ['host', 'port', 'username']) assert.ok(key in tls.proxy, `proxy.${key}`);
    for (const key of ['trustList', 'certFile', 'keyFile', 'thumbprint'])
      assert.ok(key in tls.tls, `tls.${key}`);
    const pfx = readConfig('with-proxy-and-pfx.json');
    assert.ok(isObject(pfx.tls));
    assert.match(String(pfx.tls.certFile), /\.(p12|pfx)$/i);
    assert.equal(pfx.tls.keyFile, undefined, 'a PFX carries its own key');

    const del = readConfig('delete-after-ingest.json');
    assert.equal(del.codec, 'WAV');
    assert.equal(del.deleteAfterIngest, true);
    assert.equal(typeof del.deleteGraceHours, 'number');
  });

  for (const name of configFiles()) {
    it(`${name} passes verify --offline with the built CLI`, async () => {
      const folder = await fs.mkdtemp(path.join(dir, `${path.basename(name, '.json')}-`));
      const original = readConfig(name);
      const copy = await localCopy(original, folder, pki, files);
      assert.deepEqual(
        Object.keys(copy).sort(),
        [...new Set([...Object.keys(original), 'minFreeDiskMb'])].sort(),
        'the copy changes paths only',
      );
      const doc = await verifyOffline(copy, folder, pki);
      if (original.deleteAfterIngest === true)
        assert.ok(!doc.checks.some((c) => c.name === 'codec'), 'no lossy-codec warning');
    });
  }

  for (const file of KUBERNETES_MANIFESTS) {
    it(`the configuration in the ConfigMap of ${file} passes verify --offline`, async () => {
      const folder = await fs.mkdtemp(path.join(dir, 'kubernetes-'));
      const copy = await localCopy(kubernetesConfig(readText(file)), folder, pki, files);
      await verifyOffline(copy, folder, pki);
    });
  }
});

/** The job lines of the crontab: not comments, blank lines or variable settings. */
function cronJobs(): string[] {
  return readText('cron/genesys-ingest.cron')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(line));
}

describe('examples/cron', () => {
  const jobs = cronJobs();

  it('has one job line: five schedule fields, every 5 minutes', () => {
    assert.equal(jobs.length, 1, `one job line: ${jobs.join(' | ')}`);
    const fields = jobs[0]!.split(/\s+/);
    const field = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
    const schedule = fields.slice(0, 5);
    for (const f of schedule) assert.match(f, field, `schedule field ${f}`);
    assert.doesNotMatch(fields[5]!, field, 'the sixth field starts the command (a user crontab)');
    assert.deepEqual(schedule, ['*/5', '*', '*', '*', '*']);
  });

  it('names the config, takes flock -n, runs the bin and appends to a log', () => {
    const command = jobs[0]!.split(/\s+/).slice(5).join(' ');
    assert.match(command, /GENESYS_INGEST_CONFIG=\/\S+\.json /);
    assert.match(command, /\bflock -n \/\S+ /);
    assert.ok(command.indexOf('flock -n') < command.indexOf('/bin/genesys-ingest.js'), 'flock wraps the run');
    assertRunsTheBin(command, 'the crontab line');
    assert.match(command, />> \/\S+\.log 2>&1$/);
    assert.ok(!command.includes('%'), 'no % (cron turns it into a newline)');
    assert.ok(!/SECRET/i.test(command), 'no secret on the command line');
  });
});

describe('examples/systemd', () => {
  const service = parseUnit(readText('systemd/genesys-ingest.service'));
  const timer = parseUnit(readText('systemd/genesys-ingest.timer'));

  it('the service is a oneshot run as a dedicated user, with the secret from an EnvironmentFile', () => {
    assert.equal(unitValue(service, 'Service', 'Type'), 'oneshot');
    const user = unitValue(service, 'Service', 'User');
    assert.ok(user !== 'root' && user !== '0', 'not root');
    assert.match(unitValue(service, 'Service', 'EnvironmentFile'), /^-?\/\S+/);
    assert.match(unitValue(service, 'Service', 'Environment'), /^GENESYS_INGEST_CONFIG=\/\S+\.json$/);
    assertRunsTheBin(unitValue(service, 'Service', 'ExecStart'), 'ExecStart');
  });

  it('is hardened yet can write its state and archive folders', () => {
    assert.equal(unitValue(service, 'Service', 'ProtectSystem'), 'strict');
    assert.equal(unitValue(service, 'Service', 'NoNewPrivileges'), 'yes');
    assert.ok(unitValue(service, 'Service', 'StateDirectory') !== '', 'StateDirectory= for the state');
    assert.match(
      unitValue(service, 'Service', 'ReadWritePaths'),
      /^\/\S+/,
      'ReadWritePaths= for the archive',
    );
    // V8 needs writable and executable memory: Node does not start with this.
    assert.notEqual(service.get('Service')?.get('MemoryDenyWriteExecute')?.at(-1), 'yes');
    // A run stops within 10 seconds of SIGTERM: systemd must wait at least that long.
    assert.match(unitValue(service, 'Service', 'TimeoutStopSec'), /^(\d{2,}|[1-9]\d*min)s?$/);
  });

  it('the timer starts it every 5 minutes and catches up missed ticks', () => {
    const calendar = timer.get('Timer')?.get('OnCalendar') ?? [];
    const active = timer.get('Timer')?.get('OnUnitActiveSec') ?? [];
    assert.ok(calendar.length + active.length > 0, 'OnCalendar= or OnUnitActiveSec=');
    if (calendar.length > 0) assert.deepEqual(calendar, ['*:0/5']);
    assert.equal(unitValue(timer, 'Timer', 'Persistent'), 'true');
    assert.equal(unitValue(timer, 'Timer', 'Unit'), 'genesys-ingest.service');
    assert.equal(unitValue(timer, 'Install', 'WantedBy'), 'timers.target');
  });
});

describe('examples/windows', () => {
  const xml = readText('windows/genesys-ingest-task.xml');

  it('is a well-formed task: every 5 minutes, IgnoreNew, logged on or not, node running the bin', () => {
    assert.equal(XMLValidator.validate(xml), true);
    const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false });
    const doc = parser.parse(xml) as {
      Task: {
        '@_xmlns': string;
        Triggers: { TimeTrigger: { Repetition: { Interval: string } } };
        Principals: { Principal: { LogonType: string; UserId: string } };
        Settings: { MultipleInstancesPolicy: string; ExecutionTimeLimit: string };
        Actions: { Exec: { Command: string; Arguments: string } };
      };
    };
    const task = doc.Task;
    assert.equal(task['@_xmlns'], 'http://schemas.microsoft.com/windows/2004/02/mit/task');
    assert.equal(task.Settings.MultipleInstancesPolicy, 'IgnoreNew');
    assert.equal(task.Triggers.TimeTrigger.Repetition.Interval, 'PT5M');
    // "Run whether user is logged on or not": a stored password, or S4U without one.
    assert.ok(['Password', 'S4U'].includes(task.Principals.Principal.LogonType));
    const command = task.Actions.Exec.Command.replace(/^"|"$/g, '');
    assert.match(path.win32.basename(command), /^node\.exe$/i, 'the command is node.exe');
    assertRunsTheBin(task.Actions.Exec.Arguments, 'the task arguments');
    assert.match(task.Actions.Exec.Arguments, / --config "[^"]+\.json"/);
    // Longer than maxRunMinutes' default of 55, so the tool ends a run itself.
    assert.match(task.Settings.ExecutionTimeLimit, /^PT([1-9]\d*H|[6-9]\dM|\d{3,}M)$/);
  });
});

describe('examples/kubernetes', () => {
  const yaml = readText('kubernetes/cronjob.yaml');

  it('is a CronJob every 5 minutes that never runs twice at once and never retries by itself', () => {
    assert.ok(!yaml.includes('\t'), 'no tabs in YAML');
    assert.match(yaml, /^kind: CronJob$/m);
    assert.match(yaml, /^\s+schedule: (['"])\*\/5 \* \* \* \*\1$/m);
    assert.match(yaml, /^\s+concurrencyPolicy: Forbid$/m);
    assert.match(yaml, /^\s+startingDeadlineSeconds: \d+$/m);
    assert.match(yaml, /^\s+restartPolicy: Never$/m);
    assert.match(yaml, /^\s+backoffLimit: 0$/m);
  });

  it('runs as non-root with the secret from a Secret and state on a PersistentVolumeClaim', () => {
    assert.match(yaml, /^\s+runAsNonRoot: true$/m);
    assert.match(yaml, /^\s+runAsUser: [1-9]\d*$/m);
    assert.match(yaml, /^\s+allowPrivilegeEscalation: false$/m);
    assert.match(yaml, /- name: GENESYS_CLIENT_SECRET\n\s+valueFrom:\n\s+secretKeyRef:/);
    assert.match(yaml, /^kind: PersistentVolumeClaim$/m);
    const pvc = /kind: PersistentVolumeClaim\nmetadata:\n\s+name: (\S+)/.exec(yaml)?.[1];
    assert.ok(pvc !== undefined, 'the claim has a name');
    assert.match(yaml, new RegExp(`persistentVolumeClaim:\\n\\s+claimName: ${pvc}\\n`));
  });

  it('mounts the config where --config looks and the volume where stateDir and archiveDir are', () => {
    const config = kubernetesConfig(yaml);
    const configArg = /(['"])--config\1, (['"])([^'"]+)\2/.exec(yaml)?.[3];
    assert.ok(configArg !== undefined, 'args name --config');
    const mounts = new Map(
      [...yaml.matchAll(/- name: (\S+)\n\s+mountPath: (\S+)/g)].map((m) => [m[1]!, m[2]!] as const),
    );
    assert.equal(mounts.get('config'), path.posix.dirname(configArg));
    assert.match(yaml, new RegExp(`^\\s+${path.posix.basename(configArg).replace('.', '\\.')}: \\|$`, 'm'));
    const data = mounts.get('data');
    assert.ok(data !== undefined, 'the data volume is mounted');
    for (const key of ['stateDir', 'archiveDir'])
      assert.ok(String(config[key]).startsWith(`${data}/`), `${key} is on the claim`);
  });
});

/** The documents of a multi-document YAML file, by their `kind`. */
function yamlDocuments(yaml: string): Map<string, string> {
  const docs = new Map<string, string>();
  for (const doc of yaml.split(/^---$/m)) {
    const kind = /^kind: (\S+)$/m.exec(doc)?.[1];
    if (kind !== undefined) docs.set(kind, doc);
  }
  return docs;
}

describe('examples/kubernetes/cronjob-s3.yaml', () => {
  const yaml = readText('kubernetes/cronjob-s3.yaml');
  const docs = yamlDocuments(yaml);
  const doc = (kind: string): string => {
    const found = docs.get(kind);
    assert.ok(found !== undefined, `a ${kind}`);
    return found;
  };

  it('is a CronJob every 5 minutes that never runs twice at once and never retries by itself', () => {
    assert.ok(!yaml.includes('\t'), 'no tabs in YAML');
    const cron = doc('CronJob');
    assert.match(cron, /^\s+schedule: (['"])\*\/5 \* \* \* \*\1$/m);
    assert.match(cron, /^\s+concurrencyPolicy: Forbid$/m);
    assert.match(cron, /^\s+restartPolicy: Never$/m);
    assert.match(cron, /^\s+backoffLimit: 0$/m);
    assert.match(cron, /^\s+runAsNonRoot: true$/m);
    assert.match(cron, /^\s+allowPrivilegeEscalation: false$/m);
    assert.match(cron, /- name: GENESYS_CLIENT_SECRET\n\s+valueFrom:\n\s+secretKeyRef:/);
  });

  it('runs under a ServiceAccount bound to an IAM role (web identity), with no AWS key anywhere', () => {
    const account = doc('ServiceAccount');
    const name = /^metadata:\n\s+name: (\S+)$/m.exec(account)?.[1];
    assert.ok(name !== undefined, 'the ServiceAccount has a name');
    assert.match(account, /^\s+eks\.amazonaws\.com\/role-arn: arn:aws:iam::\d{12}:role\/\S+$/m);
    assert.match(doc('CronJob'), new RegExp(`^\\s+serviceAccountName: ${name}$`, 'm'));
    // Credentials come from the SDK's chain (the token the webhook mounts), never from the manifest.
    assert.doesNotMatch(yaml, /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/);
  });

  it('archives to S3 with the state on the PersistentVolumeClaim and the config from the ConfigMap', () => {
    const config = kubernetesConfig(yaml);
    assert.ok(isObject(config.archive), 'an archive block');
    assert.equal(config.archive.type, 's3');
    assert.equal(config.archiveDir, undefined);
    const cron = doc('CronJob');
    const claim = /^metadata:\n\s+name: (\S+)$/m.exec(doc('PersistentVolumeClaim'))?.[1];
    assert.ok(claim !== undefined, 'the claim has a name');
    const volumes = new Map(
      [
        ...cron.matchAll(
          /- name: (\S+)\n\s+(persistentVolumeClaim|configMap):\n\s+(?:claimName|name): (\S+)/g,
        ),
      ].map((m) => [m[3]!, m[1]!] as const),
    );
    const mounts = new Map(
      [...cron.matchAll(/- name: (\S+)\n\s+mountPath: (\S+)/g)].map((m) => [m[1]!, m[2]!] as const),
    );
    const stateMount = mounts.get(volumes.get(claim) ?? '');
    assert.ok(stateMount !== undefined, 'the claim is mounted');
    assert.ok(String(config.stateDir).startsWith(`${stateMount}/`), 'stateDir is on the claim');
    const configMap = /^metadata:\n\s+name: (\S+)$/m.exec(doc('ConfigMap'))?.[1];
    const configMount = mounts.get(volumes.get(configMap ?? '') ?? '');
    const configArg = /(['"])--config\1, (['"])([^'"]+)\2/.exec(cron)?.[3];
    assert.ok(configMount !== undefined && configArg !== undefined, 'the ConfigMap is mounted and named');
    assert.equal(path.posix.dirname(configArg), configMount);
  });
});

describe('examples/logrotate', () => {
  it('rotates the log the crontab line writes', () => {
    const cronLog = />> (\S+)/.exec(cronJobs()[0] ?? '')?.[1];
    assert.ok(cronLog !== undefined, 'the crontab line appends to a log');
    const rotate = readText('logrotate/genesys-ingest')
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    assert.match(rotate, new RegExp(`^${cronLog.replace(/[.]/g, '\\.')} \\{$`, 'm'));
    assert.match(rotate, /^\s+rotate \d+$/m);
    assert.doesNotMatch(rotate, /reports/, 'logrotate never touches the reports folder');
  });

  it(
    'prune-reports.sh removes old reports only, never status.json',
    { skip: process.platform === 'win32' ? 'a POSIX shell script' : false },
    async (t) => {
      const state = await tempDir('gi-prune-');
      t.after(() => fs.rm(state, { recursive: true, force: true }));
      const folder = path.join(state, 'reports', 'genesys_eu-west-1');
      await fs.mkdir(folder, { recursive: true });
      const old = new Date(Date.now() - 200 * 86_400_000);
      const oldFiles = ['20250101T000000Z-run.json', '20250102T101010Z-catchup.json'];
      const kept = [
        'status.json',
        '.20250101T000000Z-run.json.1a2b.partial',
        'notes.json',
        '20250101T000000Z-run.json.gz',
      ];
      for (const name of [...oldFiles, ...kept]) {
        await fs.writeFile(path.join(folder, name), '{}');
        await fs.utimes(path.join(folder, name), old, old);
      }
      await fs.writeFile(path.join(folder, '20991231T235959Z-run.json'), '{}');
      kept.push('20991231T235959Z-run.json');
      const script = path.join(EXAMPLES, 'logrotate', 'prune-reports.sh');

      const dry = await sh([script, '--dry-run', state, '90']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.deepEqual(
        dry.stdout
          .trim()
          .split('\n')
          .map((l) => path.basename(l))
          .sort(),
        oldFiles.sort(),
      );
      assert.equal(
        (await fs.readdir(folder)).length,
        oldFiles.length + kept.length,
        'dry run removes nothing',
      );

      const real = await sh([script, state, '90']);
      assert.equal(real.code, 0, real.stderr);
      assert.deepEqual((await fs.readdir(folder)).sort(), [...kept].sort());

      const bad = await sh([script, state, 'ninety']);
      assert.equal(bad.code, 2);
      const missing = await sh([script, path.join(state, 'nope')]);
      assert.equal(missing.code, 2);
    },
  );
});

describe('examples/README.md', () => {
  it('describes every file in examples/', () => {
    const readme = readText('README.md');
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? walk(path.join(dir, entry.name))
          : [path.relative(EXAMPLES, path.join(dir, entry.name)).split(path.sep).join('/')],
      );
    for (const file of walk(EXAMPLES).filter((f) => f !== 'README.md'))
      assert.ok(readme.includes(file), `examples/README.md mentions ${file}`);
  });
});

function sh(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', args, { env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
