// A real OpenID provider (the npm package oidc-provider) for simexit's eID tests, standing in
// for BankID, ID-porten or an ESIA gateway. Started by tests/oidc/conftest.py:
//   node provider.mjs   (env OIDC_NODE_MODULES, OIDC_PORT, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI, OIDC_ACCOUNTS)
// The interaction (the person signing in at the provider) is automatic: the account is the
// authorization request's login_hint and the assurance level its first acr_values entry, so a
// test chooses who signs in and how strongly. It prints "listening <issuer>" when ready.
import http from "node:http";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

// oidc-provider lives in .ci/node (OIDC_NODE_MODULES), where .ci/run installs it.
const require = createRequire(pathToFileURL(`${process.env.OIDC_NODE_MODULES}/`));
const { default: Provider } = await import(pathToFileURL(require.resolve("oidc-provider")));

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS); // {"alice": {"pid": "01017012345"}}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "simexit",
      client_secret: process.env.OIDC_CLIENT_SECRET,
      redirect_uris: [process.env.OIDC_REDIRECT_URI],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  acrValues: ["urn:test:loa:substantial", "urn:test:loa:high"],
  claims: { openid: ["sub"], pid: ["pid"] },
  scopes: ["openid", "pid"],
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ["test-cookie-key"] },
  async findAccount(ctx, id) {
    if (!(id in accounts)) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts[id] }; } };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});
provider.proxy = false;

const callback = provider.callback();
http
  .createServer(async (req, res) => {
    if (!req.url.startsWith("/interaction/")) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      const accountId = details.params.login_hint || Object.keys(accounts)[0];
      const acr = String(details.params.acr_values || "urn:test:loa:high").split(" ")[0];
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId: details.params.client_id });
      grant.addOIDCScope("openid pid");
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId, acr }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  })
  .listen(port, "127.0.0.1", () => console.log(`listening ${issuer}`));
