// authy-client (npm, ruimarinho/authy-client 1.1.4) checks our OneTouch callbacks.
//
// Run by tests/it/node.rs with AUTHY_API_URL and AUTHY_API_KEY set. The script
// receives the callback on its own loopback server, hands the request to the
// official `verifyCallback`, and exits non-zero on the first failure.
'use strict';

const http = require('http');
const assert = require('assert');
const { Client } = require('authy-client');

// A callback that never arrives must fail the test, not hang it.
setTimeout(() => {
  console.error('node: timed out after 30 s waiting for the server or a callback');
  process.exit(1);
}, 30000).unref();

const URL = process.env.AUTHY_API_URL;
const KEY = process.env.AUTHY_API_KEY;
const client = new Client({ key: KEY }, { host: URL });

async function api(method, path, body) {
  const answer = await fetch(URL + path, {
    method,
    headers: { 'X-Authy-API-Key': KEY, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await answer.json();
  assert.strictEqual(answer.status, 200, JSON.stringify(json));
  return json;
}

function receiver() {
  return new Promise((resolve) => {
    const waiting = [];
    const server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => { raw += chunk; });
      req.on('end', () => {
        res.end('ok');
        waiting.shift()({ req, raw });
      });
    });
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, url: `http://127.0.0.1:${server.address().port}/authy/callback`, next: () => new Promise((r) => waiting.push(r)) });
    });
  });
}

function verify({ req, raw }, body) {
  return client.verifyCallback({
    body: body === undefined ? JSON.parse(raw) : body,
    headers: req.headers,
    method: req.method,
    protocol: 'http',
    url: req.url,
  });
}

async function main() {
  const rx = await receiver();
  await api('PUT', '/sandbox/app', { onetouch_callback_url: rx.url });
  const user = await api('POST', '/protected/json/users/new', { user: { email: 'node@example.com', cellphone: '4053425600', country_code: 1 } });
  const id = user.user.id;

  for (const decision of ['approve', 'deny']) {
    const created = await api('POST', `/onetouch/json/users/${id}/approval_requests`, {
      message: 'Log in from Node?',
      // Keys with spaces and capitals, on which every official verifier agrees (WIRE.md §9.6).
      details: { 'Account Number': '981266321', 'Process ID': '1234', Location: 'Lisbon, PT' },
      hidden_details: { 'IP Address': '10.10.3.203' },
      logos: [{ res: 'default', url: 'https://example.com/logo.png' }, { res: 'low', url: 'https://example.com/low.png' }],
    });
    const uuid = created.approval_request.uuid;
    const arrived = rx.next();
    await api('POST', `/sandbox/approval_requests/${uuid}/${decision}`, { device_details: { Model: 'Pixel 9', os: { name: 'Android', version: '16' } } });
    const callback = await arrived;
    await verify(callback);
    const body = JSON.parse(callback.raw);
    assert.strictEqual(body.status, decision === 'approve' ? 'approved' : 'denied');
    console.log(`node: ${decision} callback verified by authy-client`);

    // A tampered body must be refused.
    body.approval_request.transaction.details.Location = 'Elsewhere';
    await assert.rejects(verify(callback, body));
    console.log(`node: tampered ${decision} callback refused`);
  }
  rx.server.close();
  console.log('node: all callbacks verified');
}

main().catch((e) => { console.error(e); process.exit(1); });
