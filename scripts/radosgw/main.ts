import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterState, startCluster, stopCluster } from './cluster.js';

/**
 * Starts or stops a standalone single-node Ceph with radosgw, for trying stowage by hand or running
 * benchmarks: `npx tsx scripts/radosgw/main.ts start|stop`. The state (directory, PIDs, endpoint,
 * test keys) is kept in STOWAGE_RADOSGW_STATE, so `stop` ends exactly the daemons `start` began.
 * The monitor's ports are fixed: stop this cluster before running the tests, which start their own.
 */
const stateFile = process.env.STOWAGE_RADOSGW_STATE ?? join(tmpdir(), 'stowage-radosgw-cli.json');

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'start': {
      const state = await startCluster();
      writeFileSync(stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
      process.stdout.write(
        `${JSON.stringify({ endpoint: state.gateway.endpoint, accessKeyId: state.accessKeyId, stateFile })}\n`,
      );
      return;
    }
    case 'stop': {
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterState;
      await stopCluster(state);
      rmSync(stateFile, { force: true });
      return;
    }
    default:
      process.stderr.write('usage: tsx scripts/radosgw/main.ts start|stop\n');
      process.exitCode = 2;
  }
}

await main(process.argv[2]);
