// Parses each Adaptive Card of a JSON file {"name": card, ...} with the
// official adaptivecards library and prints one line per problem:
// parse events, validation events, and properties the library dropped
// (unknown names or invalid values). Exits 1 if there was any.
const AC = require("adaptivecards/dist/adaptivecards.js");
const fs = require("fs");

const cards = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
let problems = 0;
const report = (name, what) => { problems++; console.log(`${name}: ${what}`); };

// dropped reports properties of sent that are missing or different in kept.
function dropped(name, sent, kept, at) {
  if (Array.isArray(sent)) {
    if (sent.length === 0) return;
    if (!Array.isArray(kept) || kept.length !== sent.length) {
      report(name, `${at}: array not kept whole`);
      return;
    }
    sent.forEach((v, i) => dropped(name, v, kept[i], `${at}[${i}]`));
  } else if (sent !== null && typeof sent === "object") {
    if (kept === null || typeof kept !== "object") {
      report(name, `${at}: object dropped`);
      return;
    }
    for (const k of Object.keys(sent)) dropped(name, sent[k], kept[k], `${at}.${k}`);
  } else if (sent !== kept) {
    report(name, `${at}: ${JSON.stringify(sent)} became ${JSON.stringify(kept)}`);
  }
}

for (const [name, json] of Object.entries(cards)) {
  const card = new AC.AdaptiveCard();
  const ctx = new AC.SerializationContext();
  card.parse(json, ctx);
  for (let i = 0; i < ctx.eventCount; i++) report(name, `parse: ${ctx.getEventAt(i).message}`);
  for (const e of card.validateProperties().validationEvents) report(name, `validation: ${e.message}`);
  dropped(name, json, card.toJSON(), "card");
}
console.log(`${Object.keys(cards).length} cards, ${problems} problems`);
process.exit(problems ? 1 : 0);
