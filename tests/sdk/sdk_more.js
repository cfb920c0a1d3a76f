// sdk_more.js - one send through a second client per ESP (beside the ones
// sdk_run.js drives), as an application would make it, with only the
// endpoint / base URL pointed at swerved.
//
//   node sdk_more.js <client> <case>
//
// client: sendgrid-client   @sendgrid/client: the raw v3 request
//         mailgun-nodemailer nodemailer + nodemailer-mailgun-transport
//                            (mailgun.js 8 underneath), its url option
//         resend-nodemailer  nodemailer + @documenso/nodemailer-resend
//                            (resend 4 underneath), RESEND_BASE_URL
// case:   send, badkey, badfield (a From outside the key's domains);
//         resend-nodemailer also plain (no attachments)
//
// The message comes from the environment, so the test that judges it
// says what it must be: MSG = JSON {subject, text, html, pdf (base64),
// png (base64), cid}. Also SWERVE_URL, SDK_KEY, FROM, TO.
// Prints one JSON line: {"ok": true, "id": ...} or {"ok": false, ...}.
'use strict';

const path = require('path');

const MORE = path.join(__dirname, 'more');
const need = (name) => require(require.resolve(name, { paths: [MORE] }));

const URL_ = process.env.SWERVE_URL;
const MSG = JSON.parse(process.env.MSG);
const PDF = Buffer.from(MSG.pdf, 'base64');
const PNG = Buffer.from(MSG.png, 'base64');

function key(kase) {
  return kase === 'badkey' ? 'not-a-swerve-key' : process.env.SDK_KEY;
}

function from(kase) {
  return kase === 'badfield' ? 'sender@example.org' : process.env.FROM;
}

// One nodemailer message: the PDF as an attachment, the PNG inline
// (cid) unless the transport has no inline parts.
function nodemailerMail(kase, inline) {
  const png = { filename: 'logo.png', content: PNG, contentType: 'image/png' };
  if (inline) png.cid = MSG.cid;
  return {
    from: `Sender <${from(kase)}>`, to: process.env.TO,
    subject: MSG.subject, text: MSG.text, html: MSG.html,
    attachments: [
      { filename: 'report.pdf', content: PDF, contentType: 'application/pdf' },
      png,
    ],
  };
}

const clients = {
  async 'sendgrid-client'(kase) {
    const client = need('@sendgrid/client');
    client.setApiKey(key(kase));
    client.setDefaultRequest('baseUrl', URL_);
    const [resp] = await client.request({
      method: 'POST', url: '/v3/mail/send',
      body: {
        personalizations: [{ to: [{ email: process.env.TO }] }],
        from: { email: from(kase), name: 'Sender' },
        subject: MSG.subject,
        content: [{ type: 'text/plain', value: MSG.text },
          { type: 'text/html', value: MSG.html }],
        attachments: [
          { content: MSG.pdf, filename: 'report.pdf', type: 'application/pdf',
            disposition: 'attachment' },
          { content: MSG.png, filename: 'logo.png', type: 'image/png',
            disposition: 'inline', content_id: MSG.cid },
        ],
      },
    });
    return resp.headers['x-message-id'];
  },
  async 'mailgun-nodemailer'(kase) {
    const nodemailer = need('nodemailer');
    const mg = need('nodemailer-mailgun-transport');
    const t = nodemailer.createTransport(mg({
      auth: { api_key: key(kase), domain: 'mg.example.com' }, url: URL_ }));
    const info = await t.sendMail(nodemailerMail(kase, true));
    return info.id || info.messageId;
  },
  async 'resend-nodemailer'(kase) {
    // The transport makes its own Resend client: RESEND_BASE_URL is the
    // way to point it elsewhere (the test sets it).
    const nodemailer = need('nodemailer');
    const { ResendTransport } = need('@documenso/nodemailer-resend');
    const t = nodemailer.createTransport(
      ResendTransport.makeTransport({ apiKey: key(kase) }));
    const mail = nodemailerMail(kase, false);
    if (kase === 'plain') delete mail.attachments;
    const info = await t.sendMail(mail);
    return info.id;
  },
};

(async () => {
  const [client, kase] = process.argv.slice(2);
  try {
    const id = await clients[client](kase || 'send');
    process.stdout.write(JSON.stringify({ ok: true, id }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({
      ok: false,
      errorClass: e && e.constructor ? e.constructor.name : typeof e,
      code: e && e.code,
      status: e && (e.status || e.statusCode),
      message: e && (e.message || String(e)),
      body: e && e.response && e.response.body ? e.response.body : undefined,
    }) + '\n');
  }
})();
