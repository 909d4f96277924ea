import {
  BlobSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type BlobServiceClient,
} from '@azure/storage-blob';

export interface BlobLinkRequest {
  containerName: string;
  blobName: string;
  /** SAS permission letters, e.g. `r` (read) or `cw` (create, write). */
  permissions: string;
  startsOn: Date;
  expiresOn: Date;
  /** `Content-Disposition` the service answers a read with. */
  contentDisposition?: string;
}

/**
 * A SAS URL for one blob: signed with the account key when the client holds one (Azurite,
 * connection strings), with a user delegation key when it runs on a managed identity (Azure; needs
 * *Storage Blob Delegator*, which *Storage Blob Data Contributor* includes). One code path for
 * both, chosen by how the storage client is authenticated.
 */
export async function signedBlobUrl(blobs: BlobServiceClient, request: BlobLinkRequest): Promise<string> {
  const values = {
    containerName: request.containerName,
    blobName: request.blobName,
    permissions: BlobSASPermissions.parse(request.permissions),
    startsOn: request.startsOn,
    expiresOn: request.expiresOn,
    ...(request.contentDisposition ? { contentDisposition: request.contentDisposition } : {}),
  };
  const credential = blobs.credential;
  const query =
    credential instanceof StorageSharedKeyCredential
      ? generateBlobSASQueryParameters(values, credential)
      : generateBlobSASQueryParameters(
          values,
          await blobs.getUserDelegationKey(request.startsOn, request.expiresOn),
          blobs.accountName,
        );
  const blob = blobs.getContainerClient(request.containerName).getBlockBlobClient(request.blobName);
  return `${blob.url}?${query.toString()}`;
}
