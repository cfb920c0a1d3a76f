// sdk_tmpl.js - the template calls of the official provider SDKs, as an
// application makes them, with only the endpoint pointed at swerved.
//
//   node sdk_tmpl.js <scenario>
//
// scenario: sesv2 (CreateEmailTemplate ... SendBulkEmail, DeleteEmailTemplate)
//
// Environment as for sdk_run.js: SWERVE_URL, SDK_AKID / SDK_SECRET, FROM,
// TO. Prints one JSON object: each step's name -> {"ok": true, ...what the
// SDK returned} or {"ok": false, "name", "status", "message"}.
'use strict';

const M = (name) => require(require.resolve(name, { paths: [__dirname] }));

const URL_ = process.env.SWERVE_URL;
const FROM = process.env.FROM || 'sender@example.com';
const TO = process.env.TO || 'rcpt@example.net';

async function step(out, name, fn) {
  try {
    out[name] = Object.assign({ ok: true }, await fn());
  } catch (e) {
    out[name] = {
      ok: false, name: e && e.name, message: e && e.message,
      status: e && e.$metadata ? e.$metadata.httpStatusCode
        : e && e.status ? e.status : e && e.code ? e.code : undefined,
      details: e && e.details ? String(e.details) : undefined,
      errors: e && e.response && e.response.body
        ? e.response.body.errors : undefined,
    };
  }
}

const scenarios = {
  // postmark: sendEmailWithTemplate by alias and by id, and
  // sendEmailBatchWithTemplates with per-message results.
  async postmark() {
    const postmark = M('postmark');
    const c = new postmark.ServerClient(process.env.SDK_KEY,
      { requestHost: URL_.replace(/^https?:\/\//, ''), useHttps: false });
    const out = {};
    await step(out, 'alias', async () => {
      const r = await c.sendEmailWithTemplate({ From: FROM, To: 'pm1@example.net',
        TemplateAlias: 'pm-welcome',
        TemplateModel: { name: 'Pia', items: [{ n: 'a' }, { n: 'b' }] } });
      return { id: r.MessageID, code: r.ErrorCode };
    });
    await step(out, 'id', async () => {
      const r = await c.sendEmailWithTemplate({ From: FROM, To: 'pm2@example.net',
        TemplateId: 4242, TemplateModel: { name: 'Pat' } });
      return { id: r.MessageID };
    });
    await step(out, 'missing', async () => {
      await c.sendEmailWithTemplate({ From: FROM, To: TO,
        TemplateAlias: 'nosuch', TemplateModel: {} });
      return {};
    });
    await step(out, 'batch', async () => {
      const r = await c.sendEmailBatchWithTemplates([
        { From: FROM, To: 'pm3@example.net', TemplateAlias: 'pm-welcome',
          TemplateModel: { name: '<Ben>', items: [] } },
        { From: FROM, To: 'pm4@example.net', TemplateAlias: 'nosuch',
          TemplateModel: {} },
      ]);
      return { results: r.map((x) => ({ code: x.ErrorCode, id: x.MessageID,
        message: x.Message })) };
    });
    return out;
  },

  // mailgun.js: messages.create with template + t:variables, and with
  // h:X-Mailgun-Variables as the variables.
  async mailgun() {
    const Mailgun = M('mailgun.js');
    const FormData = M('form-data');
    const mg = new Mailgun(FormData).client({ username: 'api',
      key: process.env.SDK_KEY, url: URL_ });
    const out = {};
    await step(out, 'tvars', async () => {
      const r = await mg.messages.create('mg.example.com', {
        from: FROM, to: ['mg1@example.net'], template: 'welcome',
        't:variables': JSON.stringify({ name: 'Mia', items: ['x', 'y'] }) });
      return { id: r.id };
    });
    await step(out, 'hvars', async () => {
      const r = await mg.messages.create('mg.example.com', {
        from: FROM, to: ['mg2@example.net'], template: 'welcome',
        'h:X-Mailgun-Variables': JSON.stringify({ name: '<Max>', items: [] }) });
      return { id: r.id };
    });
    await step(out, 'unknown', async () => {
      await mg.messages.create('mg.example.com', {
        from: FROM, to: [TO], template: 'nosuch' });
      return {};
    });
    return out;
  },

  // @sendgrid/mail: a dynamic template (stored through swerve's API by
  // the test) sent to two personalizations, each with its own data.
  async sendgrid() {
    const sg = M('@sendgrid/mail');
    sg.setApiKey(process.env.SDK_KEY);
    sg.client.setDefaultRequest('baseUrl', URL_);
    const out = {};
    await step(out, 'send', async () => {
      const [r] = await sg.send({
        from: FROM, templateId: process.env.TEMPLATE_ID,
        personalizations: [
          { to: [{ email: 'sg1@example.net' }],
            dynamicTemplateData: { name: 'One', items: [{ n: 'a' }, { n: 'b' }],
              vip: true } },
          { to: [{ email: 'sg2@example.net' }],
            dynamicTemplateData: { name: '<Two>', items: [], vip: false } },
        ],
      });
      return { status: r.statusCode, id: r.headers['x-message-id'] };
    });
    await step(out, 'unknown', async () => {
      await sg.send({ from: FROM, to: TO, templateId: 'd-nosuch',
        dynamicTemplateData: { name: 'x' } });
      return {};
    });
    out.unknown.body = out.unknown.ok ? null : out.unknown.message;
    return out;
  },

  // SES v1 through @aws-sdk/client-ses: create, send templated, bulk.
  async ses() {
    const S = M('@aws-sdk/client-ses');
    const c = new S.SESClient({ region: 'us-east-1', endpoint: URL_,
      credentials: { accessKeyId: process.env.SDK_AKID,
        secretAccessKey: process.env.SDK_SECRET }, maxAttempts: 1 });
    const out = {};
    await step(out, 'create', async () => {
      await c.send(new S.CreateTemplateCommand({ Template: {
        TemplateName: 'v1t', SubjectPart: 'Hello {{name}}',
        TextPart: 'Dear {{name}}', HtmlPart: '<b>{{name}}</b>' } }));
      return {};
    });
    await step(out, 'get', async () => {
      const r = await c.send(new S.GetTemplateCommand({ TemplateName: 'v1t' }));
      return { template: r.Template };
    });
    await step(out, 'send', async () => {
      const r = await c.send(new S.SendTemplatedEmailCommand({
        Source: FROM, Destination: { ToAddresses: ['js1@example.net'] },
        Template: 'v1t', TemplateData: JSON.stringify({ name: 'Jo' }) }));
      return { id: r.MessageId };
    });
    await step(out, 'bulk', async () => {
      const r = await c.send(new S.SendBulkTemplatedEmailCommand({
        Source: FROM, Template: 'v1t',
        DefaultTemplateData: JSON.stringify({ name: 'Default' }),
        Destinations: [
          { Destination: { ToAddresses: ['js2@example.net'] } },
          { Destination: { ToAddresses: ['js3@example.net'] },
            ReplacementTemplateData: JSON.stringify({ name: 'Three' }) },
        ] }));
      return { status: r.Status };
    });
    await step(out, 'sendMissing', async () => {
      await c.send(new S.SendTemplatedEmailCommand({
        Source: FROM, Destination: { ToAddresses: [TO] },
        Template: 'nosuch', TemplateData: '{}' }));
      return {};
    });
    return out;
  },

  async sesv2() {
    const S = M('@aws-sdk/client-sesv2');
    const c = new S.SESv2Client({ region: 'eu-west-1', endpoint: URL_,
      credentials: { accessKeyId: process.env.SDK_AKID,
        secretAccessKey: process.env.SDK_SECRET }, maxAttempts: 1 });
    const out = {};
    const content = { Subject: 'Receipt {{order}}',
      Html: '<p>Hi {{name}}</p>', Text: 'Hi {{name}}, order {{order}}' };
    await step(out, 'create', async () => {
      await c.send(new S.CreateEmailTemplateCommand({
        TemplateName: 'receipt', TemplateContent: content }));
      return {};
    });
    await step(out, 'createAgain', async () => {
      await c.send(new S.CreateEmailTemplateCommand({
        TemplateName: 'receipt', TemplateContent: content }));
      return {};
    });
    await step(out, 'createBad', async () => {
      await c.send(new S.CreateEmailTemplateCommand({
        TemplateName: 'bad', TemplateContent: { Subject: 's',
          Html: '<p>\n  {{oops</p>' } }));
      return {};
    });
    await step(out, 'get', async () => {
      const r = await c.send(new S.GetEmailTemplateCommand({
        TemplateName: 'receipt' }));
      return { name: r.TemplateName, content: r.TemplateContent };
    });
    await step(out, 'update', async () => {
      await c.send(new S.UpdateEmailTemplateCommand({
        TemplateName: 'receipt', TemplateContent: Object.assign({}, content,
          { Subject: 'Your receipt {{order}}' }) }));
      return {};
    });
    await step(out, 'updateMissing', async () => {
      await c.send(new S.UpdateEmailTemplateCommand({
        TemplateName: 'nosuch', TemplateContent: content }));
      return {};
    });
    await step(out, 'list', async () => {
      const r = await c.send(new S.ListEmailTemplatesCommand({ PageSize: 10 }));
      return { names: r.TemplatesMetadata.map((t) => t.TemplateName),
        created: r.TemplatesMetadata.map((t) => t.CreatedTimestamp instanceof Date),
        next: r.NextToken || null };
    });
    await step(out, 'render', async () => {
      const r = await c.send(new S.TestRenderEmailTemplateCommand({
        TemplateName: 'receipt',
        TemplateData: JSON.stringify({ order: 'A-1', name: '<Ann>' }) }));
      return { rendered: r.RenderedTemplate };
    });
    await step(out, 'renderMissing', async () => {
      await c.send(new S.TestRenderEmailTemplateCommand({
        TemplateName: 'receipt', TemplateData: '{"order": "A-1"}' }));
      return {};
    });
    await step(out, 'send', async () => {
      const r = await c.send(new S.SendEmailCommand({
        FromEmailAddress: FROM, Destination: { ToAddresses: [TO] },
        Content: { Template: { TemplateName: 'receipt',
          TemplateData: JSON.stringify({ order: 'A-2', name: 'Bo' }) } } }));
      return { id: r.MessageId };
    });
    await step(out, 'sendMissingVar', async () => {
      await c.send(new S.SendEmailCommand({
        FromEmailAddress: FROM, Destination: { ToAddresses: [TO] },
        Content: { Template: { TemplateName: 'receipt',
          TemplateData: '{"order": "A-3"}' } } }));
      return {};
    });
    await step(out, 'sendNoTemplate', async () => {
      await c.send(new S.SendEmailCommand({
        FromEmailAddress: FROM, Destination: { ToAddresses: [TO] },
        Content: { Template: { TemplateName: 'nosuch', TemplateData: '{}' } } }));
      return {};
    });
    await step(out, 'bulk', async () => {
      const r = await c.send(new S.SendBulkEmailCommand({
        FromEmailAddress: FROM,
        DefaultContent: { Template: { TemplateName: 'receipt',
          TemplateData: JSON.stringify({ order: 'B-0' }) } },
        BulkEmailEntries: [
          { Destination: { ToAddresses: ['one@example.net'] },
            ReplacementEmailContent: { ReplacementTemplate: {
              ReplacementTemplateData: JSON.stringify({ name: 'One' }) } } },
          { Destination: { ToAddresses: ['two@example.net'] } },
          { Destination: { ToAddresses: ['three@example.net'] },
            ReplacementEmailContent: { ReplacementTemplate: {
              ReplacementTemplateData: JSON.stringify({ name: 'Three',
                order: 'B-3' }) } } },
        ] }));
      return { results: r.BulkEmailEntryResults };
    });
    await step(out, 'bulkBadData', async () => {
      const r = await c.send(new S.SendBulkEmailCommand({
        FromEmailAddress: FROM,
        DefaultContent: { Template: { TemplateName: 'receipt',
          TemplateData: JSON.stringify({ order: 'C-0', name: 'C' }) } },
        BulkEmailEntries: [
          { Destination: { ToAddresses: ['four@example.net'] } },
          { Destination: { ToAddresses: ['five@example.net'] },
            ReplacementEmailContent: { ReplacementTemplate: {
              ReplacementTemplateData: '[1]' } } },
        ] }));
      return { results: r.BulkEmailEntryResults };
    });
    await step(out, 'bulkNoTemplate', async () => {
      const r = await c.send(new S.SendBulkEmailCommand({
        FromEmailAddress: FROM,
        DefaultContent: { Template: { TemplateName: 'nosuch',
          TemplateData: '{}' } },
        BulkEmailEntries: [{ Destination: { ToAddresses: [TO] } }] }));
      return { results: r.BulkEmailEntryResults };
    });
    await step(out, 'delete', async () => {
      await c.send(new S.DeleteEmailTemplateCommand({ TemplateName: 'receipt' }));
      return {};
    });
    await step(out, 'getDeleted', async () => {
      await c.send(new S.GetEmailTemplateCommand({ TemplateName: 'receipt' }));
      return {};
    });
    return out;
  },
};

(async () => {
  const s = scenarios[process.argv[2]];
  if (!s) {
    process.stdout.write(JSON.stringify({ error: 'unknown scenario' }) + '\n');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(await s()) + '\n');
})();
