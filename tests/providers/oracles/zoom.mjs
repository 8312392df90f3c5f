// Checks samples/zoom/meeting_started and samples/zoom/url_validation with Zoom's own SDK:
// the AwsLambdaReceiver of @zoom/rivet (meetings), whose handler verifies x-zm-signature and
// answers endpoint.url_validation with the plainToken's encryptedToken.
//   npm install --prefix /tmp/oracles @zoom/rivet@0.4.0
//   node tests/providers/oracles/zoom.mjs
import { flipped, load, report, sample } from "./common.mjs";

const SECRET = "zoom_secret_token_oracle_3f9a";
const { module, version } = await load("@zoom/rivet/meetings");
const answer = async (request, body = request.body, secret = SECRET) => {
  const receiver = new module.AwsLambdaReceiver({ webhooksSecretToken: secret });
  receiver.init({ eventEmitter: { emit: async () => undefined } });
  const quiet = console.debug;
  console.debug = () => undefined; // the handler logs each event it reads
  const response = await receiver.start()({ body: body.toString(), headers: request.headers }, {});
  console.debug = quiet;
  return [response.statusCode, JSON.parse(response.body)];
};
const event = sample("zoom", "meeting_started");
const validation = sample("zoom", "url_validation");
const refused = [400, { error: "Failed to verify event originated from Zoom." }];
report(`@zoom/rivet ${version}`, [
  ["accepts meeting_started", [200, { message: "Zoom event processed successfully." }], await answer(event)],
  ["refuses one flipped body byte", refused, await answer(event, flipped(event.body))],
  ["refuses another secret", refused, await answer(event, event.body, "zoom_other_token")],
  [
    "answers url_validation",
    [200, { encryptedToken: "1feadf5f48af1454fe1cfefff73b3b8110998bbbfeacf8920a7a9e78437dc0a5", plainToken: "qgg8vlvZRS6UYooatFL8Aw" }],
    await answer(validation),
  ],
]);
