// sns_validate.js - run AWS's sns-validator over SNS messages.
//
//   node sns_validate.js < {"host_pattern": "^localhost:1234$",
//                           "messages": [{...}, ...]}
//
// Prints one JSON array: for each message, {"ok": true} or
// {"ok": false, "error": "..."}. The signing certificates are fetched
// over HTTPS as the validator does (NODE_EXTRA_CA_CERTS names the test
// CA). Messages are validated one after another.
"use strict";
const path = require("path");
const MessageValidator = require(path.join(
  __dirname, "sns", "node_modules", "sns-validator"));

let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", async () => {
  const req = JSON.parse(input);
  const v = new MessageValidator(new RegExp(req.host_pattern));
  const out = [];
  for (const m of req.messages) {
    out.push(
      await new Promise((resolve) =>
        v.validate(m, (err) =>
          resolve(err ? { ok: false, error: String(err.message || err) }
                      : { ok: true }))));
  }
  process.stdout.write(JSON.stringify(out) + "\n");
});
