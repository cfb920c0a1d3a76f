// sdk_tmpl_mgmt.js - the ESPs' template MANAGEMENT calls made with their
// official SDKs, as an upload script makes them, pointed at swerved.
//
//   node sdk_tmpl_mgmt.js <scenario>
//
// scenario: sendgrid (@sendgrid/client: /v3/templates and versions, then
// a send with the template through @sendgrid/mail).
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

const scenarios = {
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
