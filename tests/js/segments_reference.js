// Reads one JSON string per line on stdin and prints, per line, what Twilio's reference
// calculator (npm sms-segments-calculator) says of it, as one JSON object.
// Used by tests/sms/test_segments.py; NODE_PATH points at the installed package.
const { SegmentedMessage } = require("sms-segments-calculator");
const readline = require("readline");

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const message = new SegmentedMessage(JSON.parse(line));
  process.stdout.write(
    JSON.stringify({
      encoding: message.encodingName,
      segments: message.segmentsCount,
      characters: message.numberOfCharacters,
      non_gsm: [...new Set(message.getNonGsmCharacters())],
    }) + "\n",
  );
});
