// Ready-to-paste commands that send a correctly signed test webhook to a source: `hookrelay send`
// (signs in Node) and a POSIX shell + openssl + curl script (for machines without hookrelay). Both sign
// at the moment they run, so they stay valid however long after they were copied.

const BODY = '{"type":"test.ping","data":{"hello":"world"}}';

/** Single-quoted for POSIX shells: nothing inside is expanded. */
const q = (text) => `'${String(text).replaceAll("'", `'\\''`)}'`;

/** `npx hookrelay send ...` for the source, or null for `hmac` (whose header and digest send reads from a config file). */
export function sendCommand({ url, scheme, secret, name }) {
  if (scheme === 'hmac') return null;
  const parts = ['npx hookrelay send', `--url ${q(url)}`, `--source ${q(name)}`, `--scheme ${scheme}`];
  if (scheme !== 'none') parts.push(`--secret ${q(secret)}`);
  if (scheme === 'github') parts.push(`--header 'X-GitHub-Event: ping'`);
  parts.push(`--data ${q(BODY)}`);
  return parts.join(' \\\n  ');
}

const hexDigest = "sed 's/^.*= //'";
const lines = (...parts) => parts.filter(Boolean).join('\n');
const header = (text) => `  -H "${text}" \\`;

/** The signing lines and extra headers per scheme; `$BODY`, `$SECRET`, `$ID`, `$TS` are set before. */
function signing(scheme, verify) {
  switch (scheme) {
    case 'standard-webhooks':
    case 'openai':
      return {
        sign: lines(
          `KEY="$(printf '%s' "\${SECRET#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \\n')"`,
          `SIG="$(printf '%s' "$ID.$TS.$BODY" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEY" -binary | base64)"`,
        ),
        headers: ['webhook-id: $ID', 'webhook-timestamp: $TS', 'webhook-signature: v1,$SIG'],
      };
    case 'github':
      return {
        sign: `SIG="$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | ${hexDigest})"`,
        headers: ['X-Hub-Signature-256: sha256=$SIG', 'X-GitHub-Event: ping', 'X-GitHub-Delivery: $ID'],
      };
    case 'stripe':
      return {
        sign: `SIG="$(printf '%s' "$TS.$BODY" | openssl dgst -sha256 -hmac "$SECRET" | ${hexDigest})"`,
        headers: ['Stripe-Signature: t=$TS,v1=$SIG'],
      };
    case 'shopify':
      return {
        sign: `SIG="$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64)"`,
        headers: ['X-Shopify-Hmac-Sha256: $SIG', 'X-Shopify-Topic: test/ping', 'X-Shopify-Webhook-Id: $ID'],
      };
    case 'hmac': {
      const digest = verify.encoding === 'base64' ? '-binary | base64' : `| ${hexDigest}`;
      return {
        sign: `SIG="$(printf '%s' "$BODY" | openssl dgst -${verify.algorithm ?? 'sha256'} -hmac "$SECRET" ${digest})"`,
        headers: [`${verify.header}: ${verify.prefix ?? ''}$SIG`, `${verify.idHeader ?? 'webhook-id'}: $ID`],
      };
    }
    default:
      return { sign: '', headers: [`${verify.idHeader ?? 'webhook-id'}: $ID`] };
  }
}

/** A shell script that signs a test body with the source's secret now and POSTs it with curl. */
export function curlCommand({ url, scheme, secret, verify = {} }) {
  const { sign, headers } = signing(scheme, verify);
  return lines(
    `BODY=${q(BODY)}`,
    scheme === 'none' ? '' : `SECRET=${q(secret)}`,
    `ID="msg_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \\n')"`,
    `TS="$(date +%s)"`,
    sign,
    `curl -sS -X POST ${q(url)} \\`,
    header('content-type: application/json'),
    ...headers.map(header),
    '  --data-binary "$BODY"',
  );
}
