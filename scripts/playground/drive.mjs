#!/usr/bin/env node
// Drive a running Microsoft 365 Agents Playground (npm @microsoft/m365agentsplayground 0.2.28)
// through the same HTTP + WebSocket API its web UI uses; no browser needed.
//
//   node --experimental-websocket drive.mjs [--url http://localhost:56150] [--conv ID] [--idle MS] [--max MS] STEP...
//
// STEP (run in order; after each one the bot's replies are printed as JSON lines):
//   install             POST /_debug/conversation/{conv}/installation  -> bot gets installationUpdate + conversationUpdate
//   say:TEXT            user types TEXT                                 -> bot gets a message activity
//   at:TEXT             user types "<at>BOT</at> TEXT" with a mention of the bot (group chats and channels
//                       only deliver messages that @mention the bot)
//   click:TITLE[:JSON]  user clicks the button TITLE on the newest bot card that has it; JSON (optional)
//                       is merged into the action's data, standing in for Input.* values.
//                       Action.Submit  -> bot gets a message activity with `value`
//                                         (an imBack button: a message with its value as text, as Teams does)
//                       Action.Execute -> bot gets invoke `adaptiveCard/action`; its invoke response is printed
//   file:NAME=URL       playground "custom activity": a message with one
//                       application/vnd.microsoft.teams.file.download.info attachment whose downloadUrl is URL
//   activity:PATH.json  playground "custom activity": the JSON in PATH laid over the playground's template
//                       (type defaults to "message"); an invoke's response is not returned to the caller
//   wait:MS             only listen for MS milliseconds (for replies the bot sends later, e.g. background jobs)
//
// Output lines: {"step":..,"event":"reply"|"update"|"invokeResponse"|"http"|"error", ...}
if (typeof WebSocket === 'undefined') {
  console.error('This needs a global WebSocket: run with `node --experimental-websocket` (Node 20) or Node >= 22.');
  process.exit(2);
}
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

const args = process.argv.slice(2);
const opt = { url: 'http://localhost:56150', conv: '', idle: 800, max: 10000 };
const steps = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--url') opt.url = args[++i];
  else if (a === '--conv') opt.conv = args[++i];
  else if (a === '--idle') opt.idle = Number(args[++i]);
  else if (a === '--max') opt.max = Number(args[++i]);
  else steps.push(a);
}
const base = opt.url.replace(/\/$/, '');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

async function http(method, path, body) {
  const r = await fetch(base + path, {
    method, headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json; try { json = text ? JSON.parse(text) : undefined; } catch { json = text; }
  if (!r.ok) throw new Error(`${method} ${path} -> ${r.status} ${text}`);
  return json;
}

const cfg = (await http('GET', '/_internal/v1/testConfig')).config;
const me = cfg.currentUser.id;
const conv = opt.conv || cfg.personalChat.id;

// Every bot message the playground shows arrives on this socket (createMessage / updateMessage).
const cards = new Map(); // messageId -> attachments, kept current for click:
let lastEvent = Date.now();
let currentStep = '(connect)';
const ws = new WebSocket(base.replace(/^http/, 'ws') + '/_ws_conversation/v1/conversations/stream');
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (!m.message || (m.actionConversationId !== conv && m.message.postConversationId !== conv)) return;
  lastEvent = Date.now();
  if (m.message.from?.id !== me && m.message.attachments?.length) cards.set(m.message.messageId, m.message.attachments);
  out({ step: currentStep, event: m.action === 'updateMessage' ? 'update' : 'reply', conversationId: m.actionConversationId, message: m.message });
};
await new Promise((res, rej) => { ws.onopen = res; ws.onerror = rej; });
// Bot messages sent while no UI/driver was connected are buffered by the playground and flushed to the
// first socket that connects; they are printed with step "(connect)".
await new Promise((res) => setTimeout(res, 300));

async function settle(minMs = 0) {
  const start = Date.now();
  lastEvent = Date.now();
  await new Promise((res) => {
    const t = setInterval(() => {
      const now = Date.now();
      if ((now - start >= minMs && now - lastEvent >= opt.idle) || now - start >= Math.max(opt.max, minMs)) { clearInterval(t); res(); }
    }, 50);
  });
}

function findAction(title) {
  const walk = (node, found) => {
    if (Array.isArray(node)) { node.forEach((n) => walk(n, found)); return; }
    if (!node || typeof node !== 'object') return;
    if (typeof node.type === 'string' && node.type.startsWith('Action.') && node.title === title) found.push(node);
    for (const k of ['body', 'actions', 'items', 'columns', 'card', 'inlineAction', 'selectAction']) walk(node[k], found);
  };
  for (const [messageId, atts] of [...cards.entries()].reverse()) {
    for (const att of atts) {
      if (att.contentType !== 'application/vnd.microsoft.card.adaptive') continue;
      const found = []; walk(att.content, found);
      if (found.length) return { messageId, action: found[0] };
    }
  }
  return null;
}

async function customActivity(overlay) {
  const tpl = await http('GET', `/_internal/v1/customActivities/template?conversationId=${encodeURIComponent(conv)}`);
  await http('POST', '/_internal/v1/customActivities', { ...tpl, ...overlay });
}

for (const step of steps) {
  currentStep = step;
  const i = step.indexOf(':');
  const kind = i < 0 ? step : step.slice(0, i);
  const arg = i < 0 ? '' : step.slice(i + 1);
  try {
    if (kind === 'install') {
      await http('POST', `/_debug/conversation/${encodeURIComponent(conv)}/installation`, {});
    } else if (kind === 'say') {
      const r = await http('POST', `/_conversation/v1/conversations/${encodeURIComponent(conv)}/messages`,
        { type: 'text', text: arg, textFormat: 'plain', from: { id: me } });
      out({ step, event: 'http', sent: r });
    } else if (kind === 'at') {
      const tag = `<at>${cfg.bot.name}</at>`;
      const r = await http('POST', `/_conversation/v1/conversations/${encodeURIComponent(conv)}/messages`,
        { type: 'text', text: `${tag} ${arg}`, textFormat: 'plain', from: { id: me }, mentions: [{ mentioned: { id: cfg.bot.id }, text: tag }] });
      out({ step, event: 'http', sent: r });
    } else if (kind === 'click') {
      const j = arg.indexOf(':{');
      const title = j < 0 ? arg : arg.slice(0, j);
      const inputs = j < 0 ? {} : JSON.parse(arg.slice(j + 1));
      const hit = findAction(title);
      if (!hit) throw new Error(`no card button titled ${JSON.stringify(title)} seen yet`);
      const data = { ...(hit.action.data && typeof hit.action.data === 'object' ? hit.action.data : {}), ...inputs };
      if (hit.action.type === 'Action.Submit') {
        if (data.msteams?.type === 'imBack') {
          // Teams sends an imBack button's value as if the user typed it.
          const r = await http('POST', `/_conversation/v1/conversations/${encodeURIComponent(conv)}/messages`,
            { type: 'text', text: String(data.msteams.value), textFormat: 'plain', from: { id: me } });
          out({ step, event: 'http', sent: r });
        } else if (data.msteams) {
          throw new Error(`Action.Submit with data.msteams type ${data.msteams.type} is not handled by this script`);
        } else {
          await http('POST', '/_conversation/v1/submit', { conversation: { id: conv }, replyToId: hit.messageId, value: data, from: { id: me } });
        }
      } else if (hit.action.type === 'Action.Execute') {
        const action = { type: 'Action.Execute', title: hit.action.title, verb: hit.action.verb, data };
        if (hit.action.id) action.id = hit.action.id;
        const r = await http('POST', '/_conversation/v1/invoke',
          { name: 'adaptiveCard/action', value: { action }, from: { id: me }, conversation: { id: conv }, replyToId: hit.messageId });
        out({ step, event: 'invokeResponse', body: r });
        // A card in the invoke response replaces the tapped one (as Teams shows it).
        if (r?.type === 'application/vnd.microsoft.card.adaptive' && r.value) {
          cards.set(hit.messageId, [{ contentType: r.type, content: r.value }]);
        }
      } else {
        throw new Error(`button ${title} is ${hit.action.type}; only Action.Submit and Action.Execute are handled`);
      }
    } else if (kind === 'file') {
      const eq = arg.indexOf('=');
      const name = arg.slice(0, eq), url = arg.slice(eq + 1);
      await customActivity({ type: 'message', text: '', attachments: [{
        contentType: 'application/vnd.microsoft.teams.file.download.info', contentUrl: url, name,
        content: { downloadUrl: url, uniqueId: randomUUID(), fileType: name.includes('.') ? name.split('.').pop() : '' },
      }] });
    } else if (kind === 'activity') {
      await customActivity({ type: 'message', ...JSON.parse(readFileSync(arg, 'utf8')) });
    } else if (kind === 'wait') {
      await settle(Number(arg));
      continue;
    } else {
      throw new Error(`unknown step ${step}`);
    }
    await settle();
  } catch (e) {
    out({ step, event: 'error', error: String(e.message || e) });
    process.exitCode = 1;
  }
}
ws.close();
