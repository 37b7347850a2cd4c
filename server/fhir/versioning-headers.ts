/** ETag, Last-Modified and Location for a resource version. */
export function versionHeaders(baseUrl: string, type: string, id: string, version: number, lastUpdated: string): Record<string, string> {
  return {
    ETag: `W/"${version}"`,
    'Last-Modified': new Date(lastUpdated).toUTCString(),
    Location: `${baseUrl}/${type}/${id}/_history/${version}`,
  };
}

/** The version number in an ETag / If-Match value: W/"3", "3" or 3. */
export function parseETagVersion(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(value);
  return match ? Number(match[1]) : Number.NaN;
}
