import path from 'node:path';

/**
 * A real Kubo-RPC-compatible server for tests: js-ipfs core (ipfs-core 0.18.1) with its HTTP API
 * server (ipfs-http-server 0.15.1), in-process, offline, on a free loopback port, with its repo in
 * `dir`. Both are deprecated upstream in favour of Helia and kept as test-only devDependencies; their
 * UnixFS importer is an older, independent copy, so CIDs agreeing is a genuine cross-check.
 */
export interface IpfsStandIn {
  url: string;
  stop(): Promise<void>;
}

/** `port` 0 picks a free one; a restart passes the previous one (and the same `dir`) to come back where clients point. */
export async function startIpfsStandIn(dir: string, port = 0): Promise<IpfsStandIn> {
  // it-queue (pulled by ipfs-core) calls Promise.withResolvers, which Node 20 lacks.
  const promise = Promise as unknown as { withResolvers?: () => unknown };
  promise.withResolvers ??= () => {
    let resolve!: (value: unknown) => void;
    let reject!: (reason: unknown) => void;
    const p = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise: p, resolve, reject };
  };
  const IPFS = await import('ipfs-core');
  const { HttpApi } = await import('ipfs-http-server');
  const ipfs = await IPFS.create({
    repo: path.join(dir, 'js-ipfs-repo'),
    offline: true,
    start: false,
    silent: true,
    config: { Addresses: { Swarm: [], API: `/ip4/127.0.0.1/tcp/${port}`, Gateway: [] }, Bootstrap: [] },
    preload: { enabled: false },
  });
  const api = new HttpApi(ipfs);
  await api.start();
  const servers = (api as unknown as { _apiServers: { info: { uri: string } }[] })._apiServers;
  return {
    url: servers[0].info.uri,
    stop: async () => {
      await api.stop();
      await ipfs.stop();
    },
  };
}
