// sdk_tmpl_mgmt.js - the ESPs' template MANAGEMENT calls made with their
// official SDKs, as an upload script makes them, pointed at swerved.
//
//   node sdk_tmpl_mgmt.js <scenario>
//
// scenario: sendgrid (@sendgrid/client: /v3/templates and versions, then
// a send with the template through @sendgrid/mail); postmark (the
// postmark client: templates and layouts, validate, sends with them);
// mailgun (mailgun.js: domain templates and versions, a send with one).
//
// Environment: SWERVE_URL, SDK_KEY, FROM. Prints one JSON object: each
// step's name -> {"ok": true, "status", "body"} or {"ok": false,
// "status", "body"} (the error's response body).
'use strict';

const M = (name) => require(require.resolve(name, { paths: [__dirname] }));

const URL_ = process.env.SWERVE_URL;
const FROM = process.env.FROM || 'sender@example.com';

// sgStep - one @sendgrid/client request, its outcome under out[name].
async function sgStep(out, client, name, req) {
  try {
    const [res, body] = await client.request(req);
    out[name] = { ok: true, status: res.statusCode, body };
  } catch (e) {
    out[name] = { ok: false, status: e.code,
      body: e.response ? e.response.body : String(e) };
  }
  return out[name];
}

// pmStep - one postmark client call, its outcome under out[name].
async function pmStep(out, name, fn) {
  try {
    out[name] = { ok: true, body: await fn() };
  } catch (e) {
    out[name] = { ok: false, status: e.statusCode || e.status, code: e.code,
      message: e.message, details: e.details };
  }
  return out[name];
}

const scenarios = {
  async mailgun() {
    const Mailgun = M('mailgun.js');
    const FormData = M('form-data');
    const mg = new Mailgun(FormData).client({ username: 'api',
      key: process.env.SDK_KEY, url: URL_ });
    const D = 'mg.example.com';
    const T = mg.domains.domainTemplates;
    const out = {};
    const st = (name, fn) => pmStep(out, name, fn);
    await st('create', () => T.create(D, { name: 'Receipt',
      description: 'the receipt', template: '<p>{{name}} v1</p>',
      tag: 'v1', comment: 'first', engine: 'handlebars' }));
    await st('createAgain', () => T.create(D, { name: 'receipt',
      description: 'x', template: 'y' }));
    await st('createBad', () => T.create(D, { name: 'broken',
      description: 'd', template: '<p>\n{{#if x}}' }));
    await st('v2', () => T.createVersion(D, 'receipt', {
      template: '<p>{{name}} v2</p>', tag: 'v2', comment: 'second',
      active: 'yes' }));
    await st('v2again', () => T.createVersion(D, 'receipt', {
      template: 'x', tag: 'v2' }));
    await st('get', () => T.get(D, 'receipt', { active: 'yes' }));
    await st('versions', () => T.listVersions(D, 'receipt'));
    await st('getV1', () => T.getVersion(D, 'receipt', 'v1'));
    await st('editV1', () => T.updateVersion(D, 'receipt', 'v1', {
      template: '<p>{{name}} v1 edited</p>', comment: 'edited' }));
    await st('getV1b', () => T.getVersion(D, 'receipt', 'v1'));
    await st('update', () => T.update(D, 'receipt', {
      description: 'receipts, all of them' }));
    await st('list', () => T.list(D, { limit: 10 }));
    await st('send', () => mg.messages.create(D, { from: FROM,
      to: 'mgt1@example.net', subject: 'Your receipt', template: 'receipt',
      't:variables': JSON.stringify({ name: '<Ida>' }) }));
    await st('deleteV1', () => T.destroyVersion(D, 'receipt', 'v1'));
    await st('getV1gone', () => T.getVersion(D, 'receipt', 'v1'));
    await st('delete', () => T.destroy(D, 'receipt'));
    await st('gone', () => T.get(D, 'receipt'));
    return out;
  },

  async postmark() {
    const postmark = M('postmark');
    const c = new postmark.ServerClient(process.env.SDK_KEY,
      { requestHost: URL_.replace(/^https?:\/\//, ''), useHttps: false });
    const out = {};
    await pmStep(out, 'layout', () => c.createTemplate({ Name: 'Base',
      Alias: 'base-layout', TemplateType: 'Layout',
      HtmlBody: '<html><body>{{{ @content }}}<hr>{{company}}</body></html>',
      TextBody: '{{{@content}}}\n-- {{company}}' }));
    await pmStep(out, 'layoutNoPlaceholder', () => c.createTemplate({
      Name: 'Bad', TemplateType: 'Layout', HtmlBody: '<html></html>' }));
    const w = await pmStep(out, 'create', () => c.createTemplate({
      Name: 'Welcome', Alias: 'welcome', Subject: 'Hi {{name}}',
      HtmlBody: '<p>{{name}}</p>{{#each items}}<i>{{n}}</i>{{/each}}',
      TextBody: 'Hello {{name}}', LayoutTemplate: 'base-layout' }));
    await pmStep(out, 'dupAlias', () => c.createTemplate({ Name: 'Again',
      Alias: 'welcome', Subject: 's', TextBody: 't' }));
    await pmStep(out, 'badSyntax', () => c.createTemplate({ Name: 'Broken',
      Subject: 'x', HtmlBody: '<p>\n{{#each items}}never closed' }));
    await pmStep(out, 'noLayout', () => c.createTemplate({ Name: 'Orphan',
      Subject: 'x', TextBody: 'y', LayoutTemplate: 'nosuch' }));
    await pmStep(out, 'list', () => c.getTemplates({ count: 10, offset: 0 }));
    await pmStep(out, 'listLayouts', () => c.getTemplates({ count: 10,
      offset: 0, templateType: 'Layout' }));
    await pmStep(out, 'getAlias', () => c.getTemplate('welcome'));
    if (w.ok) await pmStep(out, 'getId', () => c.getTemplate(w.body.TemplateId));
    await pmStep(out, 'edit', () => c.editTemplate('welcome', {
      Subject: 'Welcome, {{name}}', Alias: 'welcome2' }));
    await pmStep(out, 'oldAlias', () => c.getTemplate('welcome'));
    await pmStep(out, 'validate', () => c.validateTemplate({
      Subject: 'Hi {{name}}', HtmlBody: '<b>{{name}}</b>{{#each items}}{{n}}{{/each}}',
      TextBody: 'T {{name}}', TestRenderModel: { name: 'Val', company: 'Acme' },
      LayoutTemplate: 'base-layout' }));
    await pmStep(out, 'validateBad', () => c.validateTemplate({
      Subject: 'ok', HtmlBody: 'line one\n  {{#person}}' }));
    await pmStep(out, 'send', () => c.sendEmailWithTemplate({ From: FROM,
      To: 'pmt1@example.net', TemplateAlias: 'welcome2',
      TemplateModel: { name: '<Zoe>', company: 'Acme', items: [{ n: 'a' }] } }));
    if (w.ok) {
      await pmStep(out, 'sendId', () => c.sendEmailWithTemplate({ From: FROM,
        To: 'pmt2@example.net', TemplateId: w.body.TemplateId,
        TemplateModel: { name: 'Max', company: 'Acme' } }));
    }
    await pmStep(out, 'delete', () => c.deleteTemplate('welcome2'));
    await pmStep(out, 'gone', () => c.getTemplate('welcome2'));
    if (w.ok) await pmStep(out, 'goneId', () => c.getTemplate(w.body.TemplateId));
    await pmStep(out, 'listAfter', () => c.getTemplates({ count: 10, offset: 0 }));
    return out;
  },

  async sendgrid() {
    const client = M('@sendgrid/client');
    client.setApiKey(process.env.SDK_KEY);
    client.setDefaultRequest('baseUrl', URL_);
    const out = {};
    const c = await sgStep(out, client, 'create', { method: 'POST',
      url: '/v3/templates', body: { name: 'Receipt', generation: 'dynamic' } });
    await sgStep(out, client, 'createLegacy', { method: 'POST',
      url: '/v3/templates', body: { name: 'Old' } });
    if (!c.ok) return out;
    const id = c.body.id;
    const T = '/v3/templates/' + id;
    await sgStep(out, client, 'getEmpty', { method: 'GET', url: T });
    const v1 = await sgStep(out, client, 'v1', { method: 'POST',
      url: T + '/versions', body: { template_id: id, name: 'first',
        subject: 'Receipt {{order}}', html_content: '<p>{{name}}</p>',
        plain_content: 'Hi {{name}}', active: 0 } });
    await sgStep(out, client, 'vBad', { method: 'POST', url: T + '/versions',
      body: { name: 'broken', subject: 'x',
        html_content: '<p>\n{{#if x}}never closed</p>' } });
    await sgStep(out, client, 'vNoSubject', { method: 'POST',
      url: T + '/versions', body: { name: 'nosubject', html_content: 'x' } });
    const v2 = await sgStep(out, client, 'v2', { method: 'POST',
      url: T + '/versions', body: { name: 'second',
        subject: 'Order {{order}}', html_content: '<p>v2 {{name}}</p>',
        plain_content: 'v2 {{name}}', active: 0 } });
    if (!v1.ok || !v2.ok) return out;
    const V1 = T + '/versions/' + v1.body.id;
    const V2 = T + '/versions/' + v2.body.id;
    await sgStep(out, client, 'get', { method: 'GET', url: T });
    await sgStep(out, client, 'edit', { method: 'PATCH', url: V2,
      body: { subject: 'Your order {{order}}' } });
    await sgStep(out, client, 'getV2', { method: 'GET', url: V2 });
    await sgStep(out, client, 'activate', { method: 'POST',
      url: V2 + '/activate' });
    await sgStep(out, client, 'rename', { method: 'PATCH', url: T,
      body: { name: 'Receipts' } });
    await sgStep(out, client, 'list', { method: 'GET', url: '/v3/templates',
      qs: { generations: 'dynamic', page_size: 10 } });
    await sgStep(out, client, 'listNoSize', { method: 'GET',
      url: '/v3/templates', qs: { generations: 'dynamic' } });
    const sg = M('@sendgrid/mail');
    sg.setApiKey(process.env.SDK_KEY);
    sg.client.setDefaultRequest('baseUrl', URL_);
    try {
      const [r] = await sg.send({ from: FROM, to: 'sgm1@example.net',
        templateId: id, dynamicTemplateData: { order: 'A-1', name: '<Ann>' } });
      out.send = { ok: true, status: r.statusCode };
    } catch (e) {
      out.send = { ok: false, status: e.code,
        body: e.response ? e.response.body : String(e) };
    }
    await sgStep(out, client, 'deleteV1', { method: 'DELETE', url: V1 });
    await sgStep(out, client, 'getV1Gone', { method: 'GET', url: V1 });
    await sgStep(out, client, 'afterDelete', { method: 'GET', url: T });
    await sgStep(out, client, 'deleteActive', { method: 'DELETE', url: V2 });
    await sgStep(out, client, 'noVersions', { method: 'GET', url: T });
    await sgStep(out, client, 'delete', { method: 'DELETE', url: T });
    await sgStep(out, client, 'gone', { method: 'GET', url: T });
    out.id = id;
    return out;
  },
};

(async () => {
  const fn = scenarios[process.argv[2]];
  if (!fn) {
    console.error('unknown scenario ' + process.argv[2]);
    process.exit(2);
  }
  console.log(JSON.stringify(await fn()));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
