// An echo server on Node's `ws` (Debian node-ws), to load beside wsbench-server.
//   NODE_PATH=/usr/share/nodejs node tools/e2e/echo-ws.js [PORT]   (0: any free)
'use strict';
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] || 0) });
wss.on('listening', () => console.log(`echo-ws: ready on 127.0.0.1:${wss.address().port} (node ws)`));
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
const stop = () => { for (const ws of wss.clients) ws.close(1001); wss.close(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
