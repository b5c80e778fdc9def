// ws_broker.js PORT NAME - an MQTT over WebSocket broker for the end-to-end
// tests: aedes (a real MQTT broker) behind a `ws` WebSocket server on
// 127.0.0.1:PORT that accepts the subprotocol "mqtt" only. It holds a
// retained message NAME on topic "whoami" (how the tests tell which broker a
// client reached) and logs, one line each, every upgrade request it accepted
// (the client's key and any extension offer) and every MQTT client id.
'use strict';
const http = require('http');
const { WebSocketServer, createWebSocketStream } = require('ws');
const broker = require('aedes')();

const port = Number(process.argv[2]);
const name = process.argv[3] || 'broker';
const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const wss = new WebSocketServer({
  server,
  perMessageDeflate: false,
  handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
});
wss.on('connection', (ws, req) => {
  console.log('upgrade key=%s ext=%s', req.headers['sec-websocket-key'],
    req.headers['sec-websocket-extensions'] || '-');
  broker.handle(createWebSocketStream(ws), req);
});
broker.on('client', (c) => console.log('client connected %s', c.id));
broker.publish({ cmd: 'publish', topic: 'whoami', payload: Buffer.from(name), qos: 0,
  retain: true, dup: false }, () => {
  server.listen(port, '127.0.0.1', () => console.log('listening on %d', port));
});
process.on('SIGTERM', () => process.exit(0));
