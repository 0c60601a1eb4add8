// A real OpenID provider (the `oidc-provider` package) on loopback, for the
// OAuth tests: client-credentials clients, resource indicators issuing JWT
// access tokens whose audience is the resource asked for, and a tenant claim.
// Started by scripts/oidc-provider.sh; not for anything but tests.
//
//   node oidc-provider.mjs <node_modules dir>
//
// Prints one line of JSON on stdout once listening: {"issuer": "..."}.
// Besides the provider's own endpoints it serves, for the tests only:
//   POST /_test/rotate  a new signing key, published first (the old one stays
//                       published): tokens from now on carry its kid
//   POST /_test/sign    {"header": {...}, "payload": {...}, "key": K} → {"token"}
//                       K = "current" (the provider's signing key),
//                       "unpublished" (a key in no JWKS), "hs256-public"
//                       (HMAC-SHA256 keyed with the current public key's PEM)
//   GET  /_test/stats   {"jwksFetches": N}: GETs of the JWKS so far
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = process.argv[2];
const { default: Provider } = await import(
  pathToFileURL(path.join(modules, 'oidc-provider', 'lib', 'index.js')).href
);

const SCOPES = 'shop:read orders:write';
// client id → [secret, scopes it may ask for, tenant claim]
const CLIENTS = {
  'acme-agent': ['acme-agent-secret-0123456789', SCOPES, 'acme'],
  'acme-reader': ['acme-reader-secret-0123456789', 'shop:read', 'acme'],
  'globex-agent': ['globex-agent-secret-0123456789', SCOPES, 'globex'],
};

let kidSerial = 0;
function newKey() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  kidSerial += 1;
  const kid = `test-key-${kidSerial}-${crypto.randomBytes(4).toString('hex')}`;
  return { kid, privateKey, publicKey };
}

// Signing keys, newest first; the provider signs with the first.
const keys = [newKey()];
const unpublished = newKey();

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

function provider() {
  const jwks = {
    keys: keys.map((k) => ({ ...k.privateKey.export({ format: 'jwk' }), kid: k.kid, alg: 'RS256', use: 'sig' })),
  };
  const p = new Provider(issuer, {
    clients: Object.entries(CLIENTS).map(([id, [secret, scope]]) => ({
      client_id: id,
      client_secret: secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
      scope,
    })),
    scopes: SCOPES.split(' '),
    jwks,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => ({
          scope: SCOPES,
          audience: resourceIndicator,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: async (_ctx, token) => ({ tenant: CLIENTS[token.clientId]?.[2] }),
  });
  return p.callback();
}

let handler = provider();

function b64(data) {
  return Buffer.from(data).toString('base64url');
}

function sign({ header, payload, key }) {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  let signature;
  if (key === 'current' || key === 'unpublished') {
    const k = key === 'current' ? keys[0] : unpublished;
    signature = crypto.sign('sha256', Buffer.from(input), k.privateKey).toString('base64url');
  } else if (key === 'hs256-public') {
    const pem = keys[0].publicKey.export({ format: 'pem', type: 'spki' });
    signature = crypto.createHmac('sha256', pem).update(input).digest('base64url');
  } else if (key === 'none') {
    signature = '';
  } else {
    throw new Error(`unknown key ${key}`);
  }
  return `${input}.${signature}`;
}

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
}

function json(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

let jwksFetches = 0;

server.on('request', async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/_test/stats') {
      return json(res, 200, { jwksFetches });
    }
    if (req.method === 'GET' && req.url.split('?')[0] === '/jwks') {
      jwksFetches += 1;
    }
    if (req.method === 'POST' && req.url === '/_test/rotate') {
      keys.unshift(newKey());
      handler = provider();
      return json(res, 200, { kid: keys[0].kid, kids: keys.map((k) => k.kid) });
    }
    if (req.method === 'POST' && req.url === '/_test/sign') {
      const spec = await body(req);
      return json(res, 200, { token: sign(spec), currentKid: keys[0].kid, unpublishedKid: unpublished.kid });
    }
    return handler(req, res);
  } catch (e) {
    return json(res, 500, { error: String(e) });
  }
});

process.stdout.write(`${JSON.stringify({ issuer, currentKid: keys[0].kid })}\n`);
// End with the test: stdin closing (the test process gone) stops the provider.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
