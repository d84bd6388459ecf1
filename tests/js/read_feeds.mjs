// Read each feed file given on the command line with three real JavaScript feed parsers
// and print, per file and parser, the item ids and titles they saw (or the error).
import { readFileSync } from "node:fs";
import { parseFeed as rowanParse } from "@rowanmanning/feed-parser";
import { parseFeed as feedsmithParse } from "feedsmith";
import Parser from "rss-parser";

const rssParser = new Parser();

async function readAll(path) {
  const text = readFileSync(path, "utf8");
  const out = {};
  const isJson = path.endsWith(".json");
  try {
    const parsed = feedsmithParse(text);
    const items = parsed.feed.items || parsed.feed.entries || [];
    out.feedsmith = {
      format: parsed.format,
      ids: items.map((i) => i.id ?? i.guid?.value ?? i.guid),
      titles: items.map((i) => (typeof i.title === "object" ? i.title?.value : i.title)),
    };
  } catch (e) { out.feedsmith = { error: String(e) }; }
  if (!isJson) {
    try {
      const feed = rowanParse(text);
      out.rowanmanning = { ids: feed.items.map((i) => i.id), titles: feed.items.map((i) => i.title) };
    } catch (e) { out.rowanmanning = { error: String(e) }; }
    try {
      const feed = await rssParser.parseString(text);
      out["rss-parser"] = {
        ids: feed.items.map((i) => i.guid ?? i.id),
        titles: feed.items.map((i) => i.title),
      };
    } catch (e) { out["rss-parser"] = { error: String(e) }; }
  }
  return out;
}

const result = {};
for (const path of process.argv.slice(2)) result[path] = await readAll(path);
process.stdout.write(JSON.stringify(result));
