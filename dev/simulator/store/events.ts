/** Changes the store announces; change-notification subscriptions listen to them. */
export type ChangeType = 'created' | 'updated' | 'deleted';

export type ChangeEvent =
  | { kind: 'user'; tenantId: string; changeType: ChangeType; userId: string }
  | { kind: 'group'; tenantId: string; changeType: ChangeType; groupId: string }
  | {
      kind: 'message';
      tenantId: string;
      changeType: ChangeType;
      userId: string;
      folderId: string;
      immutableId: string;
      restId: string;
      etag: string;
    }
  | { kind: 'mailFolder'; tenantId: string; changeType: ChangeType; userId: string; folderId: string }
  | { kind: 'driveItem'; tenantId: string; changeType: ChangeType; driveId: string; itemId: string };

export type ChangeListener = (event: ChangeEvent) => void;
