// wsbench-server checked by Debian's node-ws client (a library nobody here
// wrote).
//
//   NODE_PATH=/usr/share/nodejs node tests/server/node_client_test.js SERVER
//
// Starts SERVER on an ephemeral loopback port, runs the cases in order and
// exits 0, 1 on the first failure (with what failed), or 77 (ctest: skipped)
// when the ws module is missing. Bounded: every wait has a timeout.
'use strict';

const assert = require('assert');
const { spawn } = require('child_process');
const zlib = require('zlib');

let WebSocket;
try {
  WebSocket = require('ws');
} catch (e) {
  console.log(`SKIP: ${e.message} (tools/install-deps server installs node-ws)`);
  process.exit(77);
}

const TIMEOUT_MS = 20000;

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function startServer(binary, flags) {
  return withTimeout(new Promise((resolve, reject) => {
    const proc = spawn(binary, ['--port', '0', ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /ready on [0-9.]+:(\d+) /.exec(out);
      if (m) resolve({ proc, port: Number(m[1]), url: `ws://127.0.0.1:${m[1]}` });
    });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  }), 'server start');
}

// A client whose messages are awaited in order.
class Client {
  constructor(url, options = {}) {
    this.ws = new WebSocket(url, options);
    this.queue = [];
    this.waiters = [];
    this.ws.on('message', (data, isBinary) => {
      const msg = isBinary ? data : data.toString();
      const w = this.waiters.shift();
      if (w) w(msg); else this.queue.push(msg);
    });
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('error', () => {});  // a refused or reset socket shows in `closed`
  }
  open() {
    return withTimeout(new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    }), 'open');
  }
  next() {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return withTimeout(new Promise((resolve) => this.waiters.push(resolve)), 'message');
  }
  async json() { return JSON.parse(await this.next()); }
  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }
}

async function connect(url, options) {
  const c = new Client(url, options);
  await c.open();
  return c;
}

const cases = [];
function test(name, fn) { cases.push({ name, fn }); }

test('subscribe, publish, receive events', async (s) => {
  const a = await connect(s.url + '/?user=alice');
  const b = await connect(s.url + '/?user=bob');
  a.send({ type: 'subscribe', channels: ['chat'], id: 1 });
  assert.deepStrictEqual(await a.json(), { type: 'ack', of: 'subscribe', id: 1, channels: ['chat'] });
  for (let i = 0; i < 10; i++) b.send({ type: 'publish', channel: 'chat', data: { i }, id: i });
  for (let i = 0; i < 10; i++) {
    assert.deepStrictEqual(await b.json(), { type: 'ack', of: 'publish', id: i });
    assert.deepStrictEqual(await a.json(), { type: 'event', channel: 'chat', data: { i } });
  }
  a.ws.close(1000, 'bye');
  b.ws.close();
  assert.strictEqual((await withTimeout(a.closed, 'close')).code, 1000);
  assert.strictEqual((await withTimeout(b.closed, 'close')).code, 1005);  // echoed: no code
});

test('ping frames and JSON ping', async (s) => {
  const c = await connect(s.url);
  const pong = withTimeout(new Promise((resolve) => c.ws.once('pong', resolve)), 'pong');
  c.ws.ping('abc');
  assert.strictEqual((await pong).toString(), 'abc');
  c.send({ type: 'ping', id: 'x' });
  assert.deepStrictEqual(await c.json(), { type: 'ack', of: 'ping', id: 'x' });
  c.ws.close();
  await withTimeout(c.closed, 'close');
});

test('fragmented text message cut inside a UTF-8 sequence', async (s) => {
  const c = await connect(s.url, { perMessageDeflate: false });
  const bytes = Buffer.from(JSON.stringify({ type: 'subscribe', channels: ['caf\u00e9'], id: 7 }));
  const cut = bytes.indexOf(0xc3) + 1;
  c.ws.send(bytes.subarray(0, 4), { binary: false, fin: false });
  c.ws.send(bytes.subarray(4, cut), { binary: false, fin: false });
  c.ws.send(bytes.subarray(cut), { binary: false, fin: true });
  assert.deepStrictEqual(await c.json(), { type: 'ack', of: 'subscribe', id: 7, channels: ['caf\u00e9'] });
  c.ws.close();
  await withTimeout(c.closed, 'close');
});

test('compressed messages (permessage-deflate)', async (s) => {
  const opts = { perMessageDeflate: { threshold: 0 } };
  const a = await connect(s.url, opts);
  const b = await connect(s.url, opts);
  assert.ok(a.ws.extensions.includes('permessage-deflate'), a.ws.extensions);
  a.send({ type: 'subscribe', channels: ['z'] });
  await a.json();
  const data = 'compress me '.repeat(2000);
  b.send({ type: 'publish', channel: 'z', data });
  assert.strictEqual((await b.json()).type, 'ack');
  assert.deepStrictEqual(await a.json(), { type: 'event', channel: 'z', data });
  a.ws.close();
  b.ws.close();
  await withTimeout(Promise.all([a.closed, b.closed]), 'close');
});

test('malformed JSON gets an error reply', async (s) => {
  const c = await connect(s.url);
  c.send('{"type":');
  const reply = await c.json();
  assert.strictEqual(reply.type, 'error');
  assert.strictEqual(reply.code, 'truncated');
  c.send({ type: 'ping', id: 1 });
  assert.strictEqual((await c.json()).type, 'ack');
  c.ws.close();
  assert.strictEqual((await withTimeout(c.closed, 'close')).code, 1005);
});

test('invalid UTF-8 closes with 1007', async (s) => {
  const c = await connect(s.url, { perMessageDeflate: false });
  c.ws.send(Buffer.from([0x7b, 0xff, 0x7d]), { binary: false });  // ws does not check
  assert.strictEqual((await withTimeout(c.closed, 'close')).code, 1007);
});

test('message too big closes with 1009', async (s) => {
  const c = await connect(s.url, { perMessageDeflate: false });
  c.send('x'.repeat(70000));
  assert.strictEqual((await withTimeout(c.closed, 'close')).code, 1009);
});

test('compressed invalid UTF-8 closes with 1007', async (s) => {
  const c = await connect(s.url, { perMessageDeflate: { threshold: 0 } });
  // ws compresses what it is given; the server checks UTF-8 after inflating.
  c.ws.send(Buffer.from([0x22, 0xc3, 0x28, 0x22]), { binary: false, compress: true });
  assert.strictEqual((await withTimeout(c.closed, 'close')).code, 1007);
});

test('metrics gauge follows the clients', async (s) => {
  const get = (path) => withTimeout(new Promise((resolve, reject) => {
    require('http').get({ host: '127.0.0.1', port: s.port, path }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  }), 'GET ' + path);
  const gauge = async () => Number(/^websocket_active_connections (\d+)$/m.exec(await get('/metrics'))[1]);
  const clients = [];
  for (let i = 0; i < 8; i++) clients.push(await connect(s.url));
  assert.strictEqual(await gauge(), 8);
  for (const c of clients) c.ws.close();
  await withTimeout(Promise.all(clients.map((c) => c.closed)), 'close');
  assert.strictEqual(await gauge(), 0);
});

async function main() {
  const binary = process.argv[2];
  if (!binary) {
    console.error('usage: node_client_test.js SERVER');
    process.exit(2);
  }
  const server = await startServer(binary, ['--max-message-bytes', '65536', '--max-frame-bytes', '65536']);
  let failed = 0;
  for (const { name, fn } of cases) {
    try {
      await fn(server);
      console.log(`ok   ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e.stack}`);
    }
  }
  const exited = new Promise((resolve) => server.proc.on('exit', (code) => resolve(code)));
  server.proc.kill('SIGTERM');
  const code = await withTimeout(exited, 'server exit');
  if (code !== 0) {
    console.log(`FAIL server exited ${code} after SIGTERM`);
    failed++;
  }
  console.log(`${cases.length - failed}/${cases.length} passed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL ${e.stack}`);
  process.exit(1);
});
