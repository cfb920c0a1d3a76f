// feedback_sigs.js - signed webhook requests made and judged by the
// providers' own libraries, for tests/sdk/test_feedback_sigs.py.
//
//   node feedback_sigs.js NOW_SECONDS  > cases.json
//   node feedback_sigs.js sign < job.json > headers.json
//
// SendGrid: a P-256 key of starkbank-ecdsa (the library
// @sendgrid/eventwebhook verifies with) signs timestamp || body, and
// EventWebhook.verifySignature gives each case's verdict. Resend: the
// Standard Webhooks reference library (standardwebhooks) signs and
// verifies (its 5-minute tolerance included). Each case is
// {name, headers, body, lib_ok}; the test posts every case to swerved
// and expects swerve's verdict to be the library's (SendGrid's library
// has no freshness check: a stale case is marked fresh: false).
//
// sign: job {sendgrid_key: PEM private key, resend_secret, items: [{kind:
// "sendgrid"|"resend", body, ts, id}]} -> the headers of each item, signed
// the same way.
"use strict";

const path = require("path");
const crypto = require("crypto");
const mods = path.join(__dirname, "feedback", "node_modules");
const ecdsa = require(path.join(mods, "starkbank-ecdsa"));
const curve = require(path.join(mods, "starkbank-ecdsa/ellipticcurve/curve"));
const { EventWebhook, EventWebhookHeader } =
    require(path.join(mods, "@sendgrid/eventwebhook"));
const { Webhook } = require(path.join(mods, "standardwebhooks"));

const now = parseInt(process.argv[2], 10) || Math.floor(Date.now() / 1000);

function sendgrid() {
    const priv = new ecdsa.PrivateKey(curve.prime256v1);
    const other = new ecdsa.PrivateKey(curve.prime256v1);
    const pem = priv.publicKey().toPem();
    const pub = pem.replace(/-----[A-Z ]+-----|\s/g, "");
    const ew = new EventWebhook();
    const key = ew.convertPublicKeyToECDSA(pub);
    const batch = [
        {email: "a@example.com", timestamp: now, event: "delivered",
         sg_event_id: "sg-x-1", sg_message_id: "m1.filter", response: "250 OK"},
        {email: "b@example.com", timestamp: now, event: "bounce",
         type: "bounce", status: "5.1.1", reason: "550 5.1.1 unknown",
         sg_event_id: "sg-x-2", sg_message_id: "m1.filter"},
    ];
    const body = JSON.stringify(batch);
    const again = JSON.stringify(batch, null, 1);
    const cases = [];
    function add(name, sig, ts, b, fresh) {
        let ok;
        try {
            ok = ew.verifySignature(key, b, sig, ts);
        } catch (e) {
            ok = false;
        }
        const headers = {};
        headers[EventWebhookHeader.SIGNATURE()] = sig;
        headers[EventWebhookHeader.TIMESTAMP()] = ts;
        cases.push({name, headers, body: b, lib_ok: ok, fresh: fresh});
    }
    const ts = String(now);
    const sig = ecdsa.Ecdsa.sign(ts + body, priv);
    add("good", sig.toBase64(), ts, body, true);
    add("reserialised body", sig.toBase64(), ts, again, true);
    add("other body bytes", sig.toBase64(), ts, body.replace("250", "251"),
        true);
    add("other timestamp", sig.toBase64(), String(now + 1), body, true);
    add("other key", ecdsa.Ecdsa.sign(ts + body, other).toBase64(), ts, body,
        true);
    // The same signature with s replaced by n - s: valid ECDSA either
    // way, so both verifiers must agree on it.
    const mall = new ecdsa.Signature(sig.r, curve.prime256v1.N.minus(sig.s));
    add("malleated s", mall.toBase64(), ts, body, true);
    const old = String(now - 3600);
    add("stale", ecdsa.Ecdsa.sign(old + body, priv).toBase64(), old, body,
        false);
    // Signature over a JSON body with non-ASCII text.
    const utf = JSON.stringify([{email: "c@example.com", event: "open",
                                 sg_event_id: "sg-x-3", ua: "Bj\u00f6rk \u2603"}]);
    add("utf-8 body", ecdsa.Ecdsa.sign(ts + utf, priv).toBase64(), ts, utf,
        true);
    return {public_key: pub, private_key: priv.toPem(), cases};
}

function resend() {
    const secret = "whsec_" + crypto.randomBytes(24).toString("base64");
    const other = "whsec_" + crypto.randomBytes(24).toString("base64");
    const wh = new Webhook(secret);
    const body = JSON.stringify({
        type: "email.delivered", created_at: new Date(now * 1000).toISOString(),
        data: {email_id: "4ef9a417-02e9-4d39-ad75-9611e0fcc33c",
               to: ["a@example.com"], subject: "hi",
               tags: {swerve_id: "unknown"}}});
    const cases = [];
    function add(name, id, ts, sig, b, names) {
        names = names || "svix";
        const std = {"webhook-id": id, "webhook-timestamp": ts,
                     "webhook-signature": sig};
        let ok;
        try {
            wh.verify(b, std);
            ok = true;
        } catch (e) {
            ok = false;
        }
        const headers = {};
        headers[names + "-id"] = id;
        headers[names + "-timestamp"] = ts;
        headers[names + "-signature"] = sig;
        cases.push({name, headers, body: b, lib_ok: ok, fresh: true});
    }
    const id = "msg_" + crypto.randomBytes(12).toString("hex");
    const sig = wh.sign(id, new Date(now * 1000), body);
    add("good", id, String(now), sig, body);
    add("good, webhook- headers", id, String(now), sig, body, "webhook");
    add("two signatures, one good", id, String(now),
        "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " + sig, body);
    add("other body bytes", id, String(now), sig,
        body.replace("delivered\"", "bounced\""));
    add("reserialised body", id, String(now), sig,
        JSON.stringify(JSON.parse(body), null, 2));
    add("other id", id + "x", String(now), sig, body);
    add("other secret", id, String(now),
        new Webhook(other).sign(id, new Date(now * 1000), body), body);
    add("no version", id, String(now), sig.split(",")[1], body);
    add("other version", id, String(now), "v2," + sig.split(",")[1], body);
    const old = now - 600;
    add("stale", id, String(old), wh.sign(id, new Date(old * 1000), body),
        body);
    const ahead = now + 600;
    add("ahead", id, String(ahead),
        wh.sign(id, new Date(ahead * 1000), body), body);
    return {secret, cases};
}

function sign(job) {
    return job.items.map((it) => {
        if (it.kind === "sendgrid") {
            const key = ecdsa.PrivateKey.fromPem(job.sendgrid_key);
            const h = {};
            h[EventWebhookHeader.SIGNATURE()] =
                ecdsa.Ecdsa.sign(it.ts + it.body, key).toBase64();
            h[EventWebhookHeader.TIMESTAMP()] = it.ts;
            return h;
        }
        const wh = new Webhook(job.resend_secret);
        return {"svix-id": it.id, "svix-timestamp": it.ts,
                "svix-signature": wh.sign(it.id, new Date(it.ts * 1000),
                                          it.body)};
    });
}

if (process.argv[2] === "sign") {
    const job = JSON.parse(require("fs").readFileSync(0, "utf8"));
    process.stdout.write(JSON.stringify(sign(job)));
} else {
    process.stdout.write(
        JSON.stringify({sendgrid: sendgrid(), resend: resend()}));
}
