/**
 * "Activity": changes a given share of a tenant at random (seeded), as a day of real use would:
 * new mail arrives, mail is read, moved and deleted, files are edited (partial edits of large
 * files), added, renamed, moved and deleted, and sometimes a new user joins. Returns what changed.
 */
import type { SimContext } from '../context';
import { addUser } from '../store/directory-store';
import {
  createItem,
  deleteItem,
  liveItem,
  renameOrMove,
  replaceContent,
  uniqueName,
} from '../store/drive-store';
import { deleteMessage, folderById, moveMessage, updateMessage } from '../store/mail-store';
import type { ContentRef, TenantState } from '../store/model';
import { mimeTypeFor } from '../graph/mime-types';
import { messageFromMime } from '../graph/mail-create';

export interface ActivityChange {
  kind: string;
  userId?: string;
  driveId?: string;
  itemId?: string;
  messageId?: string;
  name?: string;
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

export async function runActivity(
  sim: SimContext,
  tenant: TenantState,
  share: number,
  seed: number,
): Promise<ActivityChange[]> {
  const random = rng(seed);
  const pick = <T>(list: T[]): T | undefined => list[Math.floor(random() * list.length)];
  const changes: ActivityChange[] = [];
  const state = sim.state;

  for (const box of Object.values(tenant.mailboxes).filter((b) => b.enabled)) {
    const user = tenant.users[box.userId]!;
    const messages = Object.values(box.messages);
    const count = Math.max(1, Math.round(messages.length * share));
    for (let i = 0; i < count; i++) {
      const roll = random();
      const message = pick(messages.filter((m) => box.messages[m.immutableId]));
      if (roll < 0.4 || !message) {
        const inbox = folderById(box, 'inbox')!;
        const n = Math.floor(random() * 1e9);
        const mime = Buffer.from(
          [
            `From: "Activity Sender" <sender${n % 97}@example.net>`,
            `To: "${user.displayName}" <${user.mail ?? user.userPrincipalName}>`,
            `Subject: Update ${n.toString(36)}`,
            `Date: ${new Date(state.now().getTime() - 1000).toUTCString().replace('GMT', '+0000')}`,
            `Message-ID: <activity-${seed}-${n}@example.net>`,
            'MIME-Version: 1.0',
            'Content-Type: text/plain; charset=utf-8',
            '',
            `New mail number ${n} for ${user.displayName}.`,
            '',
          ].join('\r\n'),
        );
        const created = await messageFromMime(sim, tenant, box, inbox, mime, {
          isRead: false,
          isDraft: false,
        });
        changes.push({ kind: 'mail.created', userId: user.id, messageId: created.immutableId });
      } else if (roll < 0.65) {
        updateMessage(state, tenant, box, message, (m) => (m.isRead = !m.isRead));
        changes.push({ kind: 'mail.readToggled', userId: user.id, messageId: message.immutableId });
      } else if (roll < 0.85) {
        const folders = Object.values(box.folders).filter(
          (f) => !f.removed && f.wellKnownName !== 'msgfolderroot' && f.id !== message.folderId,
        );
        const destination = pick(folders);
        if (!destination) continue;
        moveMessage(state, tenant, box, message, destination);
        changes.push({
          kind: 'mail.moved',
          userId: user.id,
          messageId: message.immutableId,
          name: destination.displayName,
        });
      } else {
        deleteMessage(state, tenant, box, message);
        changes.push({ kind: 'mail.deleted', userId: user.id, messageId: message.immutableId });
      }
    }
  }

  for (const drive of Object.values(tenant.drives)) {
    const items = Object.values(drive.items).filter((i) => !i.deleted && i.parentId);
    const files = items.filter((i) => !i.isFolder);
    const folders = [drive.items[drive.rootId]!, ...items.filter((i) => i.isFolder)];
    const count = Math.round(items.length * share);
    for (let i = 0; i < count; i++) {
      const roll = random();
      const file = pick(files.filter((f) => liveItem(drive, f.id)));
      if (roll < 0.35 && file?.content) {
        const content = editedContent(sim, file.content, Math.floor(random() * 1e9));
        replaceContent(state, drive, file, content);
        changes.push({ kind: 'file.edited', driveId: drive.id, itemId: file.id, name: file.name });
      } else if (roll < 0.6) {
        const parent = pick(folders)!;
        const size = 1024 + Math.floor(random() * 64 * 1024);
        const name = uniqueName(drive, parent, `New document ${Math.floor(random() * 1e6)}.txt`);
        const created = createItem(
          state,
          drive,
          parent,
          {
            name,
            content: { kind: 'gen', contentSeed: Math.floor(random() * 2 ** 31), size },
            mimeType: mimeTypeFor(name),
          },
          false,
        );
        changes.push({ kind: 'file.created', driveId: drive.id, itemId: created.id, name });
      } else if (roll < 0.75 && file) {
        const parent = drive.items[file.parentId!]!;
        const name = uniqueName(drive, parent, `Renamed ${file.name}`);
        renameOrMove(state, drive, file, { name });
        changes.push({ kind: 'file.renamed', driveId: drive.id, itemId: file.id, name });
      } else if (roll < 0.87 && file) {
        const destination = pick(folders.filter((f) => f.id !== file.parentId));
        if (!destination) continue;
        renameOrMove(state, drive, file, {
          parent: destination,
          name: uniqueName(drive, destination, file.name),
        });
        changes.push({ kind: 'file.moved', driveId: drive.id, itemId: file.id, name: file.name });
      } else if (file) {
        deleteItem(state, drive, file);
        changes.push({ kind: 'file.deleted', driveId: drive.id, itemId: file.id, name: file.name });
      }
    }
  }

  if (random() < Math.min(1, share * 5)) {
    const n = Math.floor(random() * 1e6);
    const user = addUser(state, tenant, {
      displayName: `New Colleague ${n}`,
      mailNickname: `new.colleague.${n}`,
    });
    changes.push({ kind: 'user.created', userId: user.id, name: user.userPrincipalName });
  }
  return changes;
}

/** A partial edit: generated files through the generator's editFile, stored bytes by rewriting a slice. */
export function editedContent(sim: SimContext, content: ContentRef, editSeed: number): ContentRef {
  if (content.kind === 'gen' && sim.state.generator.editFile) {
    const edited = sim.state.generator.editFile(content, { editSeed });
    return { kind: 'gen', contentSeed: edited.contentSeed, size: edited.size, pieces: edited.pieces };
  }
  const bytes = Buffer.from(
    content.kind === 'blob' ? sim.state.blobs.get(content.sha256) : sim.state.generator.fileBytes(content),
  );
  const at = bytes.length > 0 ? editSeed % bytes.length : 0;
  const patch = Buffer.from(`edit-${editSeed}`);
  const out = Buffer.concat([
    bytes.subarray(0, at),
    patch,
    bytes.subarray(Math.min(bytes.length, at + patch.length)),
  ]);
  return { kind: 'blob', sha256: sim.state.blobs.put(out), size: out.length };
}
