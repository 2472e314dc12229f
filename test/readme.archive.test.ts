/**
 * The README's IAM policy for the S3 target grants every action the S3 target's code needs and no
 * other: the SDK commands used in src/archive/s3-*.ts are read from the source and mapped to the
 * IAM actions AWS checks for them, so a new command without its action in the README fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers/cli.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const ARCHIVE = path.join(ROOT, 'src', 'archive');

/** The IAM actions AWS authorises each S3 command with. */
const ACTIONS: Record<string, string[]> = {
  HeadBucketCommand: ['s3:ListBucket'],
  ListObjectsV2Command: ['s3:ListBucket'],
  ListMultipartUploadsCommand: ['s3:ListBucketMultipartUploads'],
  GetObjectLockConfigurationCommand: ['s3:GetBucketObjectLockConfiguration'],
  PutObjectCommand: ['s3:PutObject', 's3:PutObjectRetention'],
  // A multipart upload's parts are authorised as s3:PutObject (its abort: s3:AbortMultipartUpload).
  CreateMultipartUploadCommand: ['s3:PutObject', 's3:PutObjectRetention'],
  UploadPartCommand: ['s3:PutObject'],
  CompleteMultipartUploadCommand: ['s3:PutObject'],
  CopyObjectCommand: ['s3:GetObject', 's3:PutObject', 's3:PutObjectRetention'],
  GetObjectCommand: ['s3:GetObject'],
  HeadObjectCommand: ['s3:GetObject'],
  AbortMultipartUploadCommand: ['s3:AbortMultipartUpload'],
  // With a VersionId (the superseded version of a multipart object): s3:DeleteObjectVersion.
  DeleteObjectCommand: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
};

function commandsUsed(): Set<string> {
  const used = new Set<string>();
  for (const file of readdirSync(ARCHIVE).filter((f) => /^s3-.*\.ts$/.test(f))) {
    const source = readFileSync(path.join(ARCHIVE, file), 'utf8');
    for (const m of source.matchAll(/\bsdk\.([A-Za-z0-9]+Command)\b/g)) used.add(m[1]!);
  }
  return used;
}

function readmePolicy(): { actions: string[]; text: string } {
  const section = README.slice(README.indexOf('## Archive targets'));
  const block = /```json\n(\{\n\s+"Version": "2012-10-17"[\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block !== undefined, 'the README has the IAM policy under "Archive targets"');
  const policy = JSON.parse(block) as { Statement: { Action: string[] }[] };
  return { actions: policy.Statement.flatMap((s) => s.Action), text: section };
}

describe('README: the IAM policy of the S3 target', () => {
  it('grants every action the S3 target needs, explains each, and nothing more', () => {
    const used = commandsUsed();
    assert.ok(
      used.has('PutObjectCommand') && used.has('UploadPartCommand'),
      `commands found: ${[...used].join(', ')}`,
    );
    const needed = new Set<string>();
    for (const command of used) {
      const actions = ACTIONS[command];
      assert.ok(
        actions !== undefined,
        `the IAM action of ${command} is known here (add it, and to the README)`,
      );
      for (const a of actions) needed.add(a);
    }
    const { actions, text } = readmePolicy();
    assert.deepEqual([...new Set(actions)].sort(), [...needed].sort());
    for (const action of needed)
      assert.match(text, new RegExp(`^\\| \`${action}\` \\| `, 'm'), `${action} explained`);
  });
});
