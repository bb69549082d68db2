#!/usr/bin/env node
// A logging pass-through between Agents Playground and the bot: every request
// body the Playground POSTs to the bot is appended to LOG as one JSON line,
// then forwarded unchanged; the bot's answer goes back unchanged.
//   node tap.mjs LISTEN_PORT BOT_URL LOG
// e.g. node tap.mjs 3979 http://127.0.0.1:3978 /tmp/activities.jsonl, and
// start the Playground with --app-endpoint http://127.0.0.1:3979/api/messages.
import http from 'node:http';
import { appendFileSync } from 'node:fs';

const [port, target, log] = process.argv.slice(2);
if (!port || !target || !log) { console.error('usage: tap.mjs LISTEN_PORT BOT_URL LOG'); process.exit(2); }
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    let activity;
    try { activity = body.length ? JSON.parse(body) : undefined; } catch { activity = body.toString(); }
    const headers = { ...req.headers };
    delete headers.host; delete headers['content-length'];
    try {
      const r = await fetch(target + req.url, { method: req.method, headers, body: body.length ? body : undefined });
      const text = await r.text();
      appendFileSync(log, JSON.stringify({ time: new Date().toISOString(), method: req.method, path: req.url, activity, status: r.status, response: text || undefined }) + '\n');
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'application/json' });
      res.end(text);
    } catch (e) {
      appendFileSync(log, JSON.stringify({ time: new Date().toISOString(), path: req.url, activity, error: String(e) }) + '\n');
      res.writeHead(502); res.end();
    }
  });
}).listen(Number(port), '127.0.0.1');
