// verify.js - check swerve's outbound webhook requests with the official
// Standard Webhooks library (tests/sdk/setup-npm-webhooks.sh installs it).
//
//   node verify.js < requests.json
//
// stdin: {"secret": "whsec_...", "requests": [{"headers": {...},
// "body": "<base64>"}]}; stdout: one JSON array of {"ok": bool, "error"}
// in the same order. verify() also checks the timestamp is within its
// tolerance (5 minutes) of now.
"use strict";
const path = require("path");
const { Webhook } = require(path.join(__dirname, "..", "sdk", "webhooks",
  "node_modules", "standardwebhooks"));

let input = "";
process.stdin.on("data", (c) => { input += c; });
process.stdin.on("end", () => {
  const req = JSON.parse(input);
  const wh = new Webhook(req.secret);
  const out = req.requests.map((r) => {
    try {
      wh.verify(Buffer.from(r.body, "base64").toString("utf8"), r.headers);
      return { ok: true };
    } catch (e) {
      return { ok: false, error: String(e && e.message || e) };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
