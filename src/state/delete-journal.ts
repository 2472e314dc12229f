/** The delete journal (SPEC §4.5): one intent file per recording to delete, written before the call and cleared once done. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fsyncDir, writeFileAtomic } from '../util/atomic.js';
import { isGenesysId } from '../util/ids.js';

export interface DeleteIntent {
  conversationId: string;
  recordingId: string;
  conversationStart: string;
  journaledAt: string;
  protectedAlerted?: boolean;
  failedAlerted?: boolean;
}

export class DeleteJournal {
  private pending: DeleteIntent[] = [];

  constructor(private readonly dir: string) {}

  private fileOf(intent: Pick<DeleteIntent, 'conversationId' | 'recordingId'>): string {
    return path.join(this.dir, `${intent.conversationId}_${intent.recordingId}.json`);
  }

  /** Reads every journaled intent; unreadable files are reported and left alone. */
  async load(onInvalid: (file: string) => void): Promise<DeleteIntent[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const intents: DeleteIntent[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      try {
        const intent = JSON.parse(await fs.readFile(path.join(this.dir, name), 'utf8')) as DeleteIntent;
        if (
          !isGenesysId(intent.conversationId) ||
          !isGenesysId(intent.recordingId) ||
          typeof intent.conversationStart !== 'string'
        )
          throw new Error('bad ids');
        intents.push(intent);
      } catch {
        onInvalid(name);
      }
    }
    return intents;
  }

  /** Journals a delete durably, to be carried out by `takePending()`'s caller or a later run. */
  async add(intent: DeleteIntent): Promise<void> {
    await this.write(intent);
    this.pending.push(intent);
  }

  takePending(): DeleteIntent[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  async write(intent: DeleteIntent): Promise<void> {
    await writeFileAtomic(this.fileOf(intent), `${JSON.stringify(intent)}\n`);
  }

  async clear(intent: DeleteIntent): Promise<void> {
    await fs.rm(this.fileOf(intent), { force: true });
    await fsyncDir(this.dir);
  }
}
