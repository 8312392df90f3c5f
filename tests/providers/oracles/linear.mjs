// Checks samples/linear/issue_create with Linear's own SDK: LinearWebhookClient.verify from
// @linear/sdk (its "webhooks" entry point), the clock pinned to the sample's webhookTimestamp.
//   npm install --prefix /tmp/oracles @linear/sdk@98.0.0
//   node tests/providers/oracles/linear.mjs
import { flipped, load, pinClock, report, sample } from "./common.mjs";

const SECRET = "lin_wh_oracle_7c2e91d4a5b8";
const { module, version } = await load("@linear/sdk/webhooks");
const request = sample("linear", "issue_create");
const signature = request.headers["linear-signature"];
const verdict = (body, sig, now, secret = SECRET) => {
  pinClock(now);
  try {
    return new module.LinearWebhookClient(secret).verify(body, sig);
  } catch (error) {
    return error.message;
  }
};
const T = JSON.parse(request.body).webhookTimestamp / 1000;
report(`@linear/sdk ${version}`, [
  ["accepts the sample", true, verdict(request.body, signature, T)],
  ["accepts it 60 s later", true, verdict(request.body, signature, T + 60)],
  ["refuses it 61 s later", "Invalid webhook timestamp", verdict(request.body, signature, T + 61)],
  ["refuses one flipped body byte", "Invalid webhook signature", verdict(flipped(request.body), signature, T)],
  ["refuses it under another secret", "Invalid webhook signature", verdict(request.body, signature, T, "lin_wh_other")],
]);
