// Checks samples/twitch/channel_follow and samples/twitch/callback_verification with
// @twurple/eventsub-http, the most used EventSub library for Node: its EventSubMiddleware's own
// request handler, served on 127.0.0.1 for one channel.follow subscription, the clock pinned to
// the samples' message timestamp. Notification: 202 and the handler runs; verification: 200 with
// the challenge; a bad signature: 410.
//   npm install --prefix /tmp/oracles @twurple/eventsub-http@8.1.4 @twurple/api@8.1.4
//   node tests/providers/oracles/twitch.mjs
import { createServer } from "node:http";
import { flipped, load, pinClock, report, sample } from "./common.mjs";

const SECRET = "twitch_eventsub_oracle_secret_91b3";
const { module: eventsub, version } = await load("@twurple/eventsub-http");
const { module: api } = await load("@twurple/api");
const { module: auth } = await load("@twurple/auth");

async function serve(secret) {
  const apiClient = new api.ApiClient({ authProvider: new auth.StaticAuthProvider("client-id", "token") });
  const middleware = new eventsub.EventSubMiddleware({ apiClient, hostName: "example.com", secret, logger: { minLevel: "critical" } });
  const follows = [];
  const subscription = middleware.onChannelFollow("12826", "12826", (event) => follows.push(event.userId));
  const routes = [];
  middleware.apply({ post: (path, handler) => routes.push([path, handler]), get: () => undefined });
  const [, handle] = routes.find(([path]) => path.endsWith("event/:id"));
  const server = createServer((req, res) => {
    req.params = { id: req.url.split("/").pop() };
    handle(req, res, (error) => { res.writeHead(500); res.end(String(error)); });
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  const url = `http://127.0.0.1:${server.address().port}/event/${subscription.id}`;
  return { follows, url, close: () => server.close() };
}

async function post(secret, request, body = request.body) {
  const receiver = await serve(secret);
  const { "content-length": _, ...headers } = request.headers;
  const response = await fetch(receiver.url, { method: "POST", headers, body });
  const answer = [response.status, await response.text(), receiver.follows];
  receiver.close();
  return answer;
}

const follow = sample("twitch", "channel_follow");
const verification = sample("twitch", "callback_verification");
const sent = Date.parse(follow.headers["twitch-eventsub-message-timestamp"]) / 1000;
const challenge = JSON.parse(verification.body).challenge;
const inChallenge = verification.body.indexOf(challenge); // twurple parses the JSON first
pinClock(sent + 601);
const late = await post(SECRET, follow);
pinClock(sent);
report(`@twurple/eventsub-http ${version}`, [
  ["accepts channel_follow", [202, "OK", ["1337"]], await post(SECRET, follow)],
  ["refuses one flipped body byte", [410, "Not OK", []], await post(SECRET, follow, flipped(follow.body))],
  ["refuses another secret", [410, "Not OK", []], await post("twitch_other_secret_0000", follow)],
  ["takes channel_follow 601 s later but drops it", [202, "OK", []], late],
  ["answers callback_verification", [200, challenge, []], await post(SECRET, verification)],
  ["refuses a flipped verification", [410, "Not OK", []], await post(SECRET, verification, flipped(verification.body, inChallenge))],
]);
