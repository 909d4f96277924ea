/**
 * `POST /users/{id}/sendMail`: the message is delivered to every recipient whose mailbox lives in
 * this simulator (any tenant), saved to the sender's Sent Items unless `saveToSentItems` is false,
 * and recorded for the control API.
 */
import type { GraphCall } from '../context';
import { GraphError } from '../http/errors';
import type { SimResponse } from '../http/types';
import { empty } from '../http/types';
import { deleteMessage, folderById } from '../store/mail-store';
import {
  decodeBase64Mime,
  jsonAddresses,
  type JsonMessage,
  messageFromJson,
  messageFromMime,
} from './mail-create';
import { requireMailbox } from './users';
import type { SimContext } from '../context';

/** Delivers raw MIME to every simulator mailbox among `recipients`; returns the addresses reached. */
export async function deliverToRecipients(
  sim: SimContext,
  recipients: string[],
  mime: Buffer,
): Promise<string[]> {
  const delivered: string[] = [];
  for (const address of recipients) {
    for (const tenant of sim.state.tenants()) {
      const user = sim.state.user(tenant, address);
      const box = user ? tenant.mailboxes[user.id] : undefined;
      if (!user || !box || !box.enabled) continue;
      const inbox = folderById(box, 'inbox');
      if (!inbox) continue;
      await messageFromMime(sim, tenant, box, inbox, mime, { isRead: false, isDraft: false });
      delivered.push(address);
    }
  }
  return delivered;
}

export async function sendMail(call: GraphCall): Promise<SimResponse> {
  const { user, mailbox } = requireMailbox(call, call.params['userId']!);
  const sender = { name: user.displayName, address: user.mail ?? user.userPrincipalName };
  const contentType = (call.req.headers['content-type'] ?? '').toLowerCase();
  const sentItems = folderById(mailbox, 'sentitems')!;
  let mime: Buffer;
  let recipients: string[];
  let saveToSentItems = true;
  let subject: string;
  if (contentType.startsWith('text/plain')) {
    mime = decodeBase64Mime(call.req.body);
    const meta = await call.sim.state.generator.parseMimeMetadata(mime);
    recipients = [...meta.toRecipients, ...meta.ccRecipients].map((a) => a.address);
    subject = meta.subject;
    await messageFromMime(call.sim, call.tenant, mailbox, sentItems, mime, { isRead: true, isDraft: false });
  } else {
    let body: { message?: JsonMessage; saveToSentItems?: boolean | string };
    try {
      body = JSON.parse(call.req.body.toString('utf8') || '{}') as typeof body;
    } catch {
      throw new GraphError(400, 'RequestBodyRead', 'Invalid JSON in the request body.');
    }
    if (!body.message)
      throw new GraphError(400, 'ErrorInvalidRecipients', 'At least one recipient is required.');
    saveToSentItems = body.saveToSentItems !== false && body.saveToSentItems !== 'false';
    const to = jsonAddresses(body.message.toRecipients);
    const cc = jsonAddresses(body.message.ccRecipients);
    const bcc = jsonAddresses(body.message.bccRecipients);
    recipients = [...to, ...cc, ...bcc].map((a) => a.address);
    if (recipients.length === 0)
      throw new GraphError(400, 'ErrorInvalidRecipients', 'At least one recipient is required.');
    subject = body.message.subject ?? '';
    const saved = await messageFromJson(
      call.sim,
      call.tenant,
      mailbox,
      sentItems,
      { ...body.message, from: undefined, sender: undefined },
      {
        from: sender,
        isDraft: false,
        isRead: true,
      },
    );
    mime = call.sim.state.blobs.get((saved.content as { sha256: string }).sha256);
    if (!saveToSentItems) deleteMessage(call.sim.state, call.tenant, mailbox, saved);
  }
  const delivered = await deliverToRecipients(call.sim, recipients, mime);
  call.sim.state.data.sentMail.push({
    tenantId: call.tenant.id,
    fromUserId: user.id,
    to: recipients,
    subject,
    at: call.sim.state.nowIso(),
    deliveredTo: delivered,
    savedToSentItems: saveToSentItems,
  });
  call.sim.state.markDirty();
  return empty(202);
}
