// sp_client.js - read a status page with the statuspage.io npm client
// (a Statuspage API v2 client), pointed at swerve's page instead of
// https://<id>.statuspage.io: node sp_client.js BASE_URL
// Prints one JSON object: what each of the client's calls returned.
'use strict';
const path = require('path');
const { Statuspage } = require(path.join(__dirname, 'npm', 'node_modules',
                                         'statuspage.io'));

async function main() {
  const sp = new Statuspage('swerve');
  sp.setApiUrl(process.argv[2]);
  const out = {
    summary: await sp.api.getSummary(),
    status: await sp.api.getStatus(),
    components: await sp.api.getComponents(),
    incidents: await sp.api.incidents.getAll(),
    unresolved: await sp.api.incidents.getUnresolved(),
  };
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
