/**
 * `verify`'s online checks of an S3 target (SPEC §7): the bucket exists and can be listed; with
 * `objectLock`, the bucket has object lock enabled; a write probe (an empty object under
 * `<prefix>.genesys-ingest-verify/`, removed again) unless `objectLock` is set, which would keep it.
 */
import { randomUUID } from 'node:crypto';
import type * as S3 from '@aws-sdk/client-s3';
import { s3Failure } from './s3-errors.js';
import type { S3Target } from './s3-target.js';
import type { TargetCheck } from './target.js';

const fail = (name: string, detail: string, hint?: string): TargetCheck =>
  hint === undefined ? { name, ok: false, detail } : { name, ok: false, detail, hint };
const pass = (name: string, detail: string): TargetCheck => ({ name, ok: true, detail });

function why(error: unknown): string {
  return s3Failure(error, 'the check', 'the store').message;
}

export async function s3Checks(target: S3Target, signal?: AbortSignal): Promise<TargetCheck[]> {
  const { sdk, client, settings } = target;
  const opts = signal === undefined ? {} : { abortSignal: signal };
  const via = target.agents.proxy === undefined ? '' : ` through the proxy ${target.agents.proxy}`;
  const checks: TargetCheck[] = [];
  try {
    await target.prepare(signal);
    await client.send(
      new sdk.ListObjectsV2Command({ Bucket: settings.bucket, Prefix: settings.prefix }),
      opts,
    );
    checks.push(pass('archive store', `${target.where} exists and can be listed${via}`));
  } catch (error) {
    checks.push(
      fail(
        'archive store',
        why(error),
        'check the bucket name, region/endpoint, the credentials in the environment and s3:ListBucket',
      ),
    );
    return checks;
  }
  if (settings.objectLock !== undefined) {
    try {
      const out: S3.GetObjectLockConfigurationCommandOutput = await client.send(
        new sdk.GetObjectLockConfigurationCommand({ Bucket: settings.bucket }),
        opts,
      );
      const enabled = out.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
      checks.push(
        enabled
          ? pass(
              'object lock',
              `enabled on ${settings.bucket}; each object is kept ${settings.objectLock.mode} for ${settings.objectLock.retainDays} days`,
            )
          : fail(
              'object lock',
              `not enabled on ${settings.bucket}`,
              'object lock can only be enabled on a bucket created with it (or by AWS support)',
            ),
      );
    } catch (error) {
      checks.push(
        fail(
          'object lock',
          `cannot read the object lock configuration: ${why(error)}`,
          'give s3:GetBucketObjectLockConfiguration',
        ),
      );
    }
    checks.push(
      pass('archive write', 'not probed: object lock would keep the probe object for its retention period'),
    );
    return checks;
  }
  const probe = `${settings.prefix}.genesys-ingest-verify/${randomUUID()}`;
  try {
    await client.send(
      new sdk.PutObjectCommand({
        Bucket: settings.bucket,
        Key: probe,
        Body: new Uint8Array(0),
        ...target.objectHeaders(false),
      }),
      opts,
    );
  } catch (error) {
    checks.push(
      fail('archive write', `cannot write ${probe}: ${why(error)}`, 'give s3:PutObject on the prefix'),
    );
    return checks;
  }
  try {
    await client.send(new sdk.DeleteObjectCommand({ Bucket: settings.bucket, Key: probe }), opts);
    checks.push(
      pass(
        'archive write',
        `an object was written under ${settings.prefix}.genesys-ingest-verify/ and removed again`,
      ),
    );
  } catch (error) {
    checks.push(
      fail(
        'archive write',
        `wrote ${probe} but cannot remove it: ${why(error)}`,
        'give s3:DeleteObject on the prefix, and remove the probe',
      ),
    );
  }
  return checks;
}
