// sdk_run.js - one call of one official provider SDK, as an application
// would make it, with only the endpoint / base URL pointed at swerved.
//
//   node sdk_run.js <sdk> <case>
//
// sdk:  sesv2 | sesv2raw | ses | sesraw | sendgrid | postmark |
//       postmarkbatch | mailgun | mailgunmime | resend | resendx |
//       nodemailer
// case: send (the full message), badkey, badfield; SES also badsecret,
//       stale (the SDK's clock an hour behind); SendGrid also
//       personalize (three personalizations) and sandbox; Mailgun also
//       options, testmode, fourtags; Postmark also options, and
//       postmarkbatch template
//
// Environment: SWERVE_URL (http://127.0.0.1:port, or https://localhost:port
// with NODE_EXTRA_CA_CERTS naming the CA that signed swerved's certificate),
// SWERVE_SMTP_PORT,
// SDK_KEY (a swerve api key), SDK_AKID / SDK_SECRET (SES credentials),
// FROM, TO, IDEM (Resend idempotency key, optional), ID and WHEN
// (resendx: an email id, a scheduled_at).
// Prints one JSON line: {"ok": true, "id": ...} or {"ok": false,
// "errorClass": ..., "name": ..., "code": ..., "status": ..., "message"}.
'use strict';

const M = (name) => require(require.resolve(name, { paths: [__dirname] }));

const URL_ = process.env.SWERVE_URL;
const KEY = process.env.SDK_KEY;
const FROM = process.env.FROM || 'sender@example.com';
const TO = process.env.TO || 'rcpt@example.net';

// The message every SDK sends: non-ASCII subject, text + HTML, a PDF
// attachment and an inline PNG referenced from the HTML.
const SUBJECT = 'Grüße aus Köln — 件名 ✓';
const TEXT = 'Hello from the SDK test.\nZeile zwei: äöü ß ✓\n';
const CID = 'logo@swerve';
const PDF = Buffer.from('%PDF-1.4\n% binary: \x00\x01\x02\xff\xfe\n%%EOF\n',
  'latin1');
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64');
const html = (cid) => `<p>Hello <b>HTML</b> äöü ✓</p><img src="cid:${cid}">`;

// Mailgun's sending options for the mailgun cases: options (tags,
// variables, tracking, a delivery time an hour ahead), testmode,
// fourtags (one tag more than Mailgun takes).
function mailgunOptions(kase) {
  switch (kase) {
  case 'options':
    return {
      'o:tag': ['welcome', 'onboarding'], 'v:user-id': '42',
      'h:X-Mailgun-Variables': JSON.stringify({ plan: 'pro' }),
      'o:tracking-opens': 'yes', 'o:tracking-clicks': 'no',
      'o:deliverytime': new Date(Date.now() + 3600 * 1000).toUTCString(),
    };
  case 'testmode':
    return { 'o:testmode': 'yes' };
  case 'fourtags':
    return { 'o:tag': ['a', 'b', 'c', 'd'] };
  default:
    return {};
  }
}

// Postmark's own fields for the postmark case options.
function postmarkOptions(kase) {
  return kase === 'options' ? {
    Tag: 'welcome', Metadata: { 'user-id': '42' }, MessageStream: 'broadcast',
    TrackOpens: true, TrackLinks: 'HtmlOnly',
  } : {};
}

function out(o) {
  process.stdout.write(JSON.stringify(o) + '\n');
}

function fail(e) {
  out({
    ok: false,
    errorClass: e && e.constructor ? e.constructor.name : typeof e,
    name: e && e.name,
    code: e && (e.code !== undefined ? e.code : e.ErrorCode),
    status: e && (e.statusCode || e.status ||
      (e.$metadata && e.$metadata.httpStatusCode) ||
      (e.response && e.response.statusCode)),
    message: e && e.message,
    type: e && e.type,
    details: e && e.details,
    body: e && e.response && e.response.body ? e.response.body : undefined,
  });
}

// A MIME message built by nodemailer's composer, for the raw APIs.
async function mime(fromAddr) {
  const MailComposer = M('nodemailer/lib/mail-composer');
  const mc = new MailComposer({
    from: fromAddr, to: TO, subject: SUBJECT, text: TEXT, html: html(CID),
    attachments: [
      { filename: 'report.pdf', content: PDF, contentType: 'application/pdf' },
      { filename: 'logo.png', content: PNG, contentType: 'image/png', cid: CID },
    ],
  });
  return await mc.compile().build();
}

const ses = {
  creds(kase) {
    return {
      accessKeyId: kase === 'badkey' ? 'AKIDUNKNOWN000000000' : process.env.SDK_AKID,
      secretAccessKey: kase === 'badsecret' ? 'not-the-secret' : process.env.SDK_SECRET,
    };
  },
  // The SDK's own clock setting: sign as if it were an hour ago.
  clock(kase) {
    return kase === 'stale' ? -3600 * 1000 : 0;
  },
  from(kase) {
    return kase === 'badfield' ? 'sender@example.org' : FROM;
  },
};

// @sendgrid/mail with personalizations (its default {{key}} substitution
// wrappers, a per-personalization from, subject and sendAt) or in
// sandbox mode. Returns the X-Message-Id and the HTTP status.
async function sendgridPersonal(sg, kase) {
  const msg = {
    from: { email: FROM, name: 'Sender' },
    subject: 'Hello {{name}}',
    text: 'Dear {{name}} of {{city}}',
    html: '<p>Dear {{name}}</p>',
    categories: ['sdk-cat'],
    customArgs: { campaign: 'c1' },
    personalizations: [
      { to: [{ email: 'ann@example.net' }],
        substitutions: { name: 'Ann', city: 'Oslo' },
        customArgs: { user: '1' } },
      { to: [{ email: 'bob@example.net' }],
        from: { email: 'sales@example.com', name: 'Sales' },
        subject: 'For {{name}} only',
        substitutions: { name: 'Bob', city: 'Rome' } },
      { to: [{ email: 'later@example.net' }],
        substitutions: { name: 'Lee', city: 'Lima' },
        sendAt: Math.floor(Date.now() / 1000) + 3600 },
    ],
  };
  if (kase === 'sandbox') {
    msg.personalizations = [msg.personalizations[0]];
    msg.mailSettings = { sandboxMode: { enable: true } };
  }
  const [resp] = await sg.send(msg);
  return { messageId: resp.headers['x-message-id'], status: resp.statusCode };
}

const sdks = {
  async sesv2(kase) {
    const { SESv2Client, SendEmailCommand } = M('@aws-sdk/client-sesv2');
    const c = new SESv2Client({ region: 'eu-west-1', endpoint: URL_,
      credentials: ses.creds(kase), maxAttempts: 1,
      systemClockOffset: ses.clock(kase) });
    const r = await c.send(new SendEmailCommand({
      FromEmailAddress: ses.from(kase),
      Destination: { ToAddresses: [TO] },
      Content: { Simple: {
        Subject: { Data: SUBJECT, Charset: 'UTF-8' },
        Body: { Text: { Data: TEXT, Charset: 'UTF-8' },
          Html: { Data: html(CID), Charset: 'UTF-8' } },
        Attachments: [
          { FileName: 'report.pdf', RawContent: PDF,
            ContentType: 'application/pdf', ContentDisposition: 'ATTACHMENT' },
          { FileName: 'logo.png', RawContent: PNG, ContentType: 'image/png',
            ContentDisposition: 'INLINE', ContentId: CID },
        ],
      } },
    }));
    return r.MessageId;
  },
  async sesv2raw(kase) {
    const { SESv2Client, SendEmailCommand } = M('@aws-sdk/client-sesv2');
    const c = new SESv2Client({ region: 'us-east-1', endpoint: URL_,
      credentials: ses.creds(kase), maxAttempts: 1,
      systemClockOffset: ses.clock(kase) });
    const r = await c.send(new SendEmailCommand({
      Destination: { ToAddresses: [TO] },
      Content: { Raw: { Data: await mime(ses.from(kase)) } },
    }));
    return r.MessageId;
  },
  async ses(kase) {
    // SES v1 SendEmail has no attachments: text + HTML only.
    const { SESClient, SendEmailCommand } = M('@aws-sdk/client-ses');
    const c = new SESClient({ region: 'us-east-1', endpoint: URL_,
      credentials: ses.creds(kase), maxAttempts: 1,
      systemClockOffset: ses.clock(kase) });
    const r = await c.send(new SendEmailCommand({
      Source: ses.from(kase),
      Destination: { ToAddresses: [TO] },
      Message: { Subject: { Data: SUBJECT, Charset: 'UTF-8' },
        Body: { Text: { Data: TEXT }, Html: { Data: html(CID) } } },
    }));
    return r.MessageId;
  },
  async sesraw(kase) {
    const { SESClient, SendRawEmailCommand } = M('@aws-sdk/client-ses');
    const c = new SESClient({ region: 'us-east-1', endpoint: URL_,
      credentials: ses.creds(kase), maxAttempts: 1,
      systemClockOffset: ses.clock(kase) });
    const r = await c.send(new SendRawEmailCommand({
      Destinations: [TO],
      RawMessage: { Data: await mime(ses.from(kase)) },
    }));
    return r.MessageId;
  },
  async sendgrid(kase) {
    const sg = M('@sendgrid/mail');
    sg.setApiKey(kase === 'badkey' ? 'SG.not-a-swerve-key' : KEY);
    // @sendgrid/mail's own setting for the API host.
    sg.client.setDefaultRequest('baseUrl', URL_);
    if (kase === 'personalize' || kase === 'sandbox') {
      return sendgridPersonal(sg, kase);
    }
    const [resp] = await sg.send({
      to: TO,
      from: { email: kase === 'badfield' ? 'sender@example.org' : FROM,
        name: 'Sender' },
      subject: SUBJECT, text: TEXT, html: html(CID),
      attachments: [
        { content: PDF.toString('base64'), filename: 'report.pdf',
          type: 'application/pdf', disposition: 'attachment' },
        { content: PNG.toString('base64'), filename: 'logo.png',
          type: 'image/png', disposition: 'inline', content_id: CID },
      ],
    });
    return resp.headers['x-message-id'];
  },
  async postmark(kase, batch) {
    const postmark = M('postmark');
    const host = URL_.replace(/^https?:\/\//, '');
    const c = new postmark.ServerClient(
      kase === 'badkey' ? 'not-a-swerve-key' : KEY,
      { useHttps: URL_.startsWith('https:'), requestHost: host });
    const m = {
      From: `Sender <${kase === 'badfield' ? 'sender@example.org' : FROM}>`,
      To: TO, Subject: SUBJECT, TextBody: TEXT, HtmlBody: html(CID),
      MessageStream: 'outbound',
      ...postmarkOptions(kase),
      Attachments: [
        { Name: 'report.pdf', Content: PDF.toString('base64'),
          ContentType: 'application/pdf', ContentID: null },
        { Name: 'logo.png', Content: PNG.toString('base64'),
          ContentType: 'image/png', ContentID: 'cid:' + CID },
      ],
    };
    if (batch) {
      const bad = kase === 'template' ? { ...m, TemplateId: 42 }
        : { ...m, To: 'not an address' };
      const rs = await c.sendEmailBatch([m, bad]);
      return rs.map((r) => ({ ErrorCode: r.ErrorCode, MessageID: r.MessageID }));
    }
    const r = await c.sendEmail(m);
    return r.MessageID;
  },
  async postmarkbatch(kase) {
    return sdks.postmark(kase, true);
  },
  async mailgun(kase, asMime) {
    const Mailgun = M('mailgun.js');
    const FormData = M('form-data');
    const mg = new Mailgun(FormData).client({ username: 'api',
      key: kase === 'badkey' ? 'not-a-swerve-key' : KEY, url: URL_ });
    const from = kase === 'badfield' ? 'sender@example.org' : FROM;
    let r;
    if (asMime) {
      r = await mg.messages.create('mg.example.com', {
        to: [TO], message: await mime(from) });
    } else {
      // Mailgun names an inline part's Content-ID after its file name.
      r = await mg.messages.create('mg.example.com', {
        from: `Sender <${from}>`, to: [TO], subject: SUBJECT, text: TEXT,
        html: html('logo.png'),
        attachment: [{ filename: 'report.pdf', data: PDF }],
        inline: [{ filename: 'logo.png', data: PNG }],
        ...mailgunOptions(kase),
      });
    }
    return r.id;
  },
  async mailgunmime(kase) {
    return sdks.mailgun(kase, true);
  },
  async resend(kase) {
    const { Resend } = M('resend');
    const r = new Resend(kase === 'badkey' ? 're_not_a_swerve_key' : KEY,
      { baseUrl: URL_ });
    const opts = process.env.IDEM ? { idempotencyKey: process.env.IDEM } : {};
    const { data, error } = await r.emails.send({
      from: `Sender <${kase === 'badfield' ? 'sender@example.org' : FROM}>`,
      to: [TO], subject: SUBJECT, text: TEXT, html: html(CID),
      attachments: [
        { filename: 'report.pdf', content: PDF, contentType: 'application/pdf' },
        { filename: 'logo.png', content: PNG, contentType: 'image/png',
          contentId: CID },
      ],
    }, opts);
    // Resend's SDK returns errors instead of throwing them.
    if (error) {
      const e = new Error(error.message);
      e.name = error.name;
      e.statusCode = error.statusCode;
      e.returned = true;
      throw e;
    }
    return data.id;
  },
  // Resend beyond the plain send: tags, a Buffer attachment, batches
  // (strict and permissive), scheduling, and the calls on an email id
  // (ID): get, cancel, update (to WHEN).
  async resendx(kase) {
    const { Resend } = M('resend');
    const r = new Resend(KEY, { baseUrl: URL_ });
    const one = (i, extra) => Object.assign({
      from: `Sender <${FROM}>`, to: [TO], subject: `${SUBJECT} ${i}`,
      text: TEXT, tags: [{ name: 'item', value: String(i) }] }, extra);
    const call = async (p) => {
      const { data, error } = await p;
      if (error) {
        const e = new Error(error.message);
        e.name = error.name;
        e.statusCode = error.statusCode;
        throw e;
      }
      return data;
    };
    const id = process.env.ID;
    switch (kase) {
    case 'tags':
      return (await call(r.emails.send(one(0, {
        tags: [{ name: 'category', value: 'confirm_email' },
          { name: 'tenant', value: 'acme-1' }],
        attachments: [{ filename: 'report.pdf', content: PDF }] })))).id;
    case 'batch':
      return await call(r.batch.send([one(1), one(2)]));
    case 'batchbad':
      return await call(r.batch.send([one(1), one(2, { to: ['nope'] })]));
    case 'batchpermissive':
      return await call(r.batch.send([one(1), one(2, { to: ['nope'] }),
        one(3)], { batchValidation: 'permissive' }));
    case 'scheduled':
      return (await call(r.emails.send(one(9, {
        scheduledAt: process.env.WHEN || 'in 1 hour' })))).id;
    case 'get':
      return await call(r.emails.get(id));
    case 'cancel':
      return await call(r.emails.cancel(id));
    case 'update':
      return await call(r.emails.update({ id, scheduledAt: process.env.WHEN }));
    default:
      throw new Error('no such case ' + kase);
    }
  },
  async nodemailer(kase) {
    const nm = M('nodemailer');
    const t = nm.createTransport({ host: '127.0.0.1',
      port: Number(process.env.SWERVE_SMTP_PORT), secure: false,
      ignoreTLS: true,
      auth: kase === 'badkey' ? { user: 'nobody', pass: 'wrong' } : undefined });
    const info = await t.sendMail({
      from: FROM, to: kase === 'badfield' ? 'bad@@example.net' : TO,
      subject: SUBJECT, text: TEXT, html: html(CID),
      attachments: [
        { filename: 'report.pdf', content: PDF, contentType: 'application/pdf' },
        { filename: 'logo.png', content: PNG, contentType: 'image/png', cid: CID },
      ],
    });
    return info.response;
  },
};

(async () => {
  const [sdk, kase] = process.argv.slice(2);
  try {
    const id = await sdks[sdk](kase || 'send');
    out({ ok: true, id });
  } catch (e) {
    fail(e);
  }
})();
