/**
 * The built-in redaction rules: ONE table, read by the redactor (redact.ts), by its tests
 * (each rule's samples must be hidden and its near misses kept, on every read path) and
 * by docs/security.md (its "Redaction rules" table is checked against this one).
 *
 * The token kinds are those a secret scanner (gitleaks, and leaktk, MintMaker's own
 * sanitizer) finds in CI logs: cloud keys, forge and registry tokens, chat tokens, JWTs,
 * private keys, URL credentials, and secrets assigned to a secret-looking name in YAML,
 * JSON (also escaped inside a JSON string), env and command-line form.
 *
 * Threat model: a rule that misses serves a secret; a rule that over-matches only hides
 * log text. So the patterns lean to hiding, with near misses pinned where hiding would
 * make ordinary Renovate logs unreadable (digests, commit hashes, image references,
 * Renovate's own JSON).
 *
 * Speed: the redactor only looks at lines holding one of a rule's `anchors` (found by
 * the WebAssembly trigram scan), so every match of a rule must contain one of its
 * anchors, case aside; the tests check each sample's match holds one.
 *
 * Length: over 400 lines, kept whole on purpose. It is a declaration, not logic: one
 * table read top to bottom beside docs/security.md's (same rules, same order), each rule
 * with its samples and near misses next to its pattern. Split in two, a reader checking
 * a rule against the docs, or a rule against its neighbours' overlaps, would hold two
 * files open; the pieces it is built from are already apart (redaction-rule-parts.ts).
 */
import {
  fake,
  looksRandom,
  QUOTE,
  sample,
  SECRET_NAME,
  SEPARATOR,
  UPPER,
  VALUE,
} from './redaction-rule-parts.js';

/** A piece of text holding a secret, and the secret that must not survive redaction. */
export interface RedactionSample {
  text: string;
  secret: string;
}

interface RuleBase {
  /** A stable identifier (kebab-case). */
  name: string;
  /** What it matches, in words, for docs/security.md. */
  matches: string;
  /** The shape of what it matches, for docs/security.md: never a real-looking secret. */
  shape: string;
  /** Literals (case aside), one of which every match contains. */
  anchors: readonly string[];
  samples: readonly RedactionSample[];
  /** Text that looks close but must be left alone. */
  nearMisses: readonly string[];
}

/**
 * `match`: every match of `pattern` (global) becomes `**REDACTED**`, but for the part
 * captured by a group named `keep` at its start (a key, a scheme), which is kept;
 * `accept`, if given, must say yes to the rest. `url`: the password of URL credentials.
 * `key-block`: a private key block, from its BEGIN line to its END line.
 */
export type RedactionRule =
  | (RuleBase & {
      kind: 'match';
      pattern: RegExp;
      accept?: (secret: string) => boolean;
    })
  | (RuleBase & { kind: 'url' | 'key-block' });

const AWS_PREFIXES = [
  'AKIA',
  'ASIA',
  'ABIA',
  'ACCA',
  'AGPA',
  'AIDA',
  'AIPA',
  'ANPA',
  'ANVA',
  'APKA',
  'AROA',
];
const GITLAB_PREFIXES = [
  'pat',
  'ptt',
  'dt',
  'rt',
  'soat',
  'cbt',
  'imt',
  'agent',
  'oas',
  'ft',
  'ffct',
  'wt',
];

export const REDACTION_RULES: readonly RedactionRule[] = [
  {
    kind: 'key-block',
    name: 'private-key',
    matches: 'a private key block (PEM, OpenSSH, PGP), across lines or escaped in one',
    shape: '`-----BEGIN … PRIVATE KEY-----` … `-----END … PRIVATE KEY-----`',
    anchors: ['-----BEGIN '],
    samples: [
      sample(
        fake(40),
        (s) => `-----BEGIN RSA PRIVATE KEY-----\n${fake(64)}\n${s}\n-----END RSA PRIVATE KEY-----`,
      ),
      sample(
        fake(64),
        (s) =>
          `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\n${s}\\n-----END PRIVATE KEY-----\\n"}`,
      ),
    ],
    nearMisses: ['-----BEGIN CERTIFICATE-----', '-----BEGIN PUBLIC KEY-----'],
  },
  {
    kind: 'match',
    name: 'aws-access-key-id',
    matches: 'AWS access key ids and other AWS key and principal ids',
    shape: '`AKIA`, `ASIA`, `AGPA`, `AIDA`, `AROA`, … + 16 capitals or digits',
    anchors: AWS_PREFIXES,
    pattern: new RegExp(`(?<![A-Z0-9])(?:${AWS_PREFIXES.join('|')})[A-Z0-9]{16}(?![A-Z0-9])`, 'g'),
    samples: [
      sample(fake(16, UPPER), (s) => `AKIA${s}`),
      sample(fake(16, UPPER), (s) => `aws_access_key_id = ASIA${s}`),
      sample(fake(16, UPPER), (s) => `"Arn":"x","RoleId":"AROA${s}"`),
    ],
    nearMisses: ['AKIA is an AWS prefix', 'KAKIA0123456789ABCDEF0'],
  },
  {
    kind: 'match',
    name: 'gcp-api-key',
    matches: 'Google API keys',
    shape: '`AIza` + 35 letters, digits, `-` or `_`',
    anchors: ['AIza'],
    pattern: /AIza[0-9A-Za-z_-]{35}/g,
    samples: [sample(fake(35), (s) => `key=AIza${s}`)],
    nearMisses: ['AIzaSy is how a Google API key starts'],
  },
  {
    kind: 'match',
    name: 'gcp-oauth',
    matches: 'Google OAuth client secrets and access tokens',
    shape: '`GOCSPX-` + 28 characters; `ya29.` + 20 or more',
    anchors: ['GOCSPX-', 'ya29.'],
    pattern: /GOCSPX-[0-9A-Za-z_-]{24,}|ya29\.[0-9A-Za-z_-]{20,}/g,
    samples: [sample(fake(28), (s) => `GOCSPX-${s}`), sample(fake(60), (s) => `using ya29.${s}`)],
    nearMisses: ['ya29.0 is not a version'],
  },
  {
    kind: 'match',
    name: 'azure-client-secret',
    matches: 'Azure AD (Entra ID) client secrets',
    shape: '3 characters, a digit, `Q~`, then 31 to 34 characters',
    anchors: [...'0123456789'].map((digit) => `${digit}Q~`),
    pattern: /(?<![\w~.-])[\w~.]{3}\dQ~[\w~.-]{31,34}(?![\w~.-])/g,
    samples: [sample(fake(34), (s) => `AZURE_CLIENT_SECRET ${fake(3)}8Q~${s}`)],
    nearMisses: ['home~/8Q~ is a path'],
  },
  {
    kind: 'match',
    name: 'azure-sas-signature',
    matches: 'the signature of an Azure shared access signature (SAS) URL or string',
    shape: '`?…&sig=` + the signature',
    anchors: ['sig='],
    pattern: /(?<keep>[?&;]sig=)[A-Za-z0-9%+/=]{16,}/g,
    samples: [
      sample(
        fake(44),
        (s) => `https://acct.blob.core.windows.net/c?sv=2022-11-02&se=2026&sig=${s}%3D`,
      ),
    ],
    nearMisses: ['&sig=short'],
  },
  {
    kind: 'match',
    name: 'github-token',
    matches: 'GitHub tokens of every kind, also glued to the text before them',
    shape:
      '`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + letters or digits (20 or more); `github_pat_…`',
    anchors: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    pattern: /gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255}/g,
    samples: [
      sample(fake(36), (s) => `push with ghp_${s} done`),
      sample(fake(36), (s) => `token:xghs_${s}`),
      sample(fake(59), (s) => `github_pat_11${fake(20)}_${s}`),
    ],
    nearMisses: ['ghp_ prefix', 'the ghs_app setting'],
  },
  {
    kind: 'match',
    name: 'gitlab-token',
    matches: 'GitLab tokens (personal, project, group, deploy, runner, trigger, feed, …)',
    shape: '`glpat-`, `glptt-`, `gldt-`, `glrt-`, `GR1348941`, … + 20 or more characters',
    anchors: [...GITLAB_PREFIXES.map((kind) => `gl${kind}-`), 'GR1348941'],
    pattern: new RegExp(
      `(?:gl(?:${GITLAB_PREFIXES.join('|')})-|GR1348941)[A-Za-z0-9_.-]{20,}`,
      'g',
    ),
    samples: [
      sample(fake(20), (s) => `cloning https://oauth2:glpat-${s}@gitlab.com/x`),
      sample(fake(20), (s) => `--registration-token GR1348941${s}`),
    ],
    nearMisses: ['glrt- is a runner token prefix'],
  },
  {
    kind: 'match',
    name: 'npm-token',
    matches: 'npm access tokens',
    shape: '`npm_` + 36 letters or digits',
    anchors: ['npm_'],
    pattern: /npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g,
    samples: [sample(fake(36), (s) => `npm_${s}`)],
    nearMisses: ['npm_config_registry=https://registry.npmjs.org/'],
  },
  {
    kind: 'match',
    name: 'pypi-token',
    matches: 'PyPI upload tokens',
    shape: '`pypi-Ag` + 60 or more characters',
    anchors: ['pypi-Ag'],
    pattern: /pypi-Ag[A-Za-z0-9_-]{60,}/g,
    samples: [sample(fake(70), (s) => `TWINE_PASSWORD pypi-AgEIcHlwaS5vcmc${s}`)],
    nearMisses: ['pypi-Agent 1.0'],
  },
  {
    kind: 'match',
    name: 'dockerhub-token',
    matches: 'Docker Hub personal access tokens',
    shape: '`dckr_pat_` + 27 or more characters',
    anchors: ['dckr_pat_'],
    pattern: /dckr_pat_[A-Za-z0-9_-]{20,}/g,
    samples: [sample(fake(27), (s) => `dckr_pat_${s}`)],
    nearMisses: ['dckr_pat_ prefix'],
  },
  {
    kind: 'match',
    name: 'slack-token',
    matches: 'Slack bot, user, app, config and legacy tokens',
    shape:
      '`xoxb-`, `xoxp-`, `xoxa-`, `xoxo-`, `xoxs-`, `xoxr-`, `xoxe-`, `xapp-` + digits and characters',
    anchors: ['xox', 'xapp-'],
    pattern: /xox[abposre](?:\.xox[bp])?-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,}/g,
    samples: [
      sample(fake(24), (s) => `xoxb-1234567890-1234567890-${s}`),
      sample(fake(40), (s) => `SLACK_TOKEN xoxp-1234567890-${s}`),
    ],
    nearMisses: ['xoxb- is a bot token prefix'],
  },
  {
    kind: 'match',
    name: 'slack-webhook',
    matches: 'Slack incoming webhook, workflow and trigger URLs (the path after the kind)',
    shape: '`hooks.slack.com/services/` + the rest',
    anchors: ['hooks.slack.com'],
    pattern:
      /(?<keep>hooks\.slack\.com(?:\\*\/)(?:services|workflows|triggers)(?:\\*\/))[A-Za-z0-9_+/\\]{20,}/g,
    samples: [
      sample(fake(24), (s) => `https://hooks.slack.com/services/T${fake(8)}/B${fake(10)}/${s}`),
    ],
    nearMisses: ['https://hooks.slack.com/ is where webhooks go'],
  },
  {
    kind: 'match',
    name: 'jwt',
    matches: 'JSON Web Tokens (Kubernetes service account tokens, OIDC id tokens, …)',
    shape: '`eyJ…` `.` `eyJ…` `.` signature',
    anchors: ['eyJ'],
    // Only where a run of base64url begins: a run holding many "eyJ" is searched once,
    // not once from each (which took time quadratic in the line's length).
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
    samples: [sample(fake(60), (s) => `id_token eyJ${fake(20)}.eyJ${s}.${fake(43)}`)],
    nearMisses: ['eyJhbGciOiJIUzI1NiJ9 alone is only a header'],
  },
  {
    kind: 'match',
    name: 'bearer',
    matches: 'bearer credentials (the scheme is kept)',
    shape: '`Bearer ` + a token',
    anchors: ['bearer'],
    pattern: /(?<keep>\bBearer[ \t]+)[A-Za-z0-9._~+/=-]{8,}/gi,
    // An all-lowercase word ("bearer authentication") is prose, not a token.
    accept: (token) => /[^a-z]/.test(token) || token.length >= 24,
    samples: [sample(fake(40), (s) => `Authorization: Bearer ${s}`)],
    nearMisses: ['Using bearer authentication for quay.io'],
  },
  {
    kind: 'match',
    name: 'basic',
    matches: 'basic credentials (the scheme is kept)',
    shape: '`Basic ` + base64 of `user:password`',
    anchors: ['basic'],
    pattern: /(?<keep>\bBasic[ \t]+)[A-Za-z0-9+/]{8,}={0,2}/gi,
    // Base64 of user:password: what it decodes to holds a colon (a word does not).
    accept: (value) => Buffer.from(value, 'base64').toString('latin1').includes(':'),
    samples: [sample(Buffer.from(`bot:${fake(16)}`).toString('base64'), (s) => `auth: Basic ${s}`)],
    nearMisses: ['Basic information about the repository'],
  },
  {
    kind: 'match',
    name: 'authorization-header',
    matches: 'the credentials of an `Authorization` header of any other scheme',
    shape: '`Authorization: token …`, `Authorization: …`',
    anchors: ['authorization'],
    pattern: new RegExp(
      String.raw`(?<keep>authorization${SEPARATOR}(?:[A-Za-z][A-Za-z0-9_-]*[ \t]+)?)${VALUE}`,
      'gi',
    ),
    samples: [
      sample(fake(40), (s) => `Authorization: token ${s}`),
      sample(fake(32), (s) => `{"authorization":"${s}"}`),
    ],
    nearMisses: ['"authorizationUrl": null'],
  },
  {
    kind: 'match',
    name: 'registry-login',
    matches: 'the password of a registry login on a command line (`-p`)',
    shape: '`docker login -u bot -p …` (also podman, buildah, skopeo, helm, oras)',
    anchors: ['login'],
    pattern: new RegExp(
      String.raw`(?<keep>\b(?:docker|podman|buildah|skopeo|helm|oras)[ \t]+(?:registry[ \t]+)?login\b[^\n]{0,200}?[ \t]-p(?:=|[ \t]+)${QUOTE})(?!-)${VALUE}`,
      'g',
    ),
    samples: [sample(fake(20), (s) => `podman login -u bot -p ${s} quay.io`)],
    nearMisses: ['docker login -u bot --password-stdin quay.io'],
  },
  {
    kind: 'match',
    name: 'secret-assignment',
    matches:
      'a value assigned to a secret name: `*password*`, `*secret`, `*token`, `*auth`, `credentials`, `api-key`, `*_access_key`, … (YAML, JSON, escaped JSON, env, headers)',
    shape: '`password: …`, `"token":"…"`, `NPM_TOKEN=…`, `X-Api-Key: …`, `"auth":"…"`',
    anchors: [
      'passw',
      'secret',
      'token',
      'auth',
      'credential',
      '-key',
      '_key',
      '.key',
      'apikey',
      'accesskey',
      'accountkey',
      'privatekey',
    ],
    pattern: new RegExp(String.raw`(?<keep>${SECRET_NAME}${SEPARATOR})${VALUE}`, 'gi'),
    samples: [
      sample(fake(12), (s) => `DB_PASSWORD=${s}`),
      sample(fake(12), (s) => `"password": "${s}"`),
      sample(fake(12), (s) => `password: 'open sesame ${s}'`),
      sample(fake(40), (s) => `aws_secret_access_key=${s}`),
      sample(fake(32), (s) => `X-Api-Key: ${s}`),
      sample(fake(24), (s) => `{"auths":{"quay.io":{"auth":"${s}"}}}`),
      sample(fake(36), (s) => `//registry.npmjs.org/:_authToken=${s}`),
      sample(fake(86), (s) => `DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${s}==;`),
      sample(fake(30), (s) => `client_secret: ${s}`),
      sample(fake(20), (s) => `Private-Token: ${s}`),
      sample(fake(20), (s) => `renovate --token=${s} acme/frontend`),
      sample(fake(16), (s) => `  registry_password: '${s}'`),
    ],
    nearMisses: [
      '{"msg":"Using token for github.com authentication (hostType github)"}',
      '{"hostType":"github","authType":"Token","token":"***"}',
      'token: ${{ secrets.GITHUB_TOKEN }}',
      'password: null',
      '"secretName": "registry-creds"',
      'author: Jane',
    ],
  },
  {
    kind: 'match',
    name: 'key-assignment',
    matches:
      'a random-looking value (16 or more characters, letters and digits) assigned to any other `*_key`',
    shape: '`webhook_key: …`, `"hmac-key": "…"`',
    anchors: ['_key', '-key', '.key'],
    pattern: new RegExp(String.raw`(?<keep>[_.-]key${SEPARATOR})${VALUE}`, 'gi'),
    accept: looksRandom,
    samples: [sample(fake(32), (s) => `webhook_key: ${s}`)],
    nearMisses: ['sort_key: name', 'tls.key: /etc/tls/tls.key'],
  },
  {
    kind: 'match',
    name: 'pwd-assignment',
    matches: 'a password assigned to `pwd` (but a path, as in `PWD=/workspace`, is kept)',
    shape: '`pwd: …`, `DB_PWD=…`',
    anchors: ['pwd'],
    pattern: new RegExp(String.raw`(?<keep>pwd${SEPARATOR})(?![/~])${VALUE}`, 'gi'),
    samples: [sample(fake(10), (s) => `pwd: ${s}`)],
    nearMisses: ['PWD=/workspace/source', 'OLDPWD=~/src'],
  },
  {
    kind: 'match',
    name: 'cli-flag',
    matches:
      'the value of a secret command-line flag given after a space (`=` is `secret-assignment`)',
    shape: '`--password …`, `--token …`, `--api-key …`, `--client-secret …`',
    anchors: ['passw', 'secret', 'token', 'auth', 'credential', '-key', 'apikey', 'pwd'],
    pattern: new RegExp(
      String.raw`(?<keep>--(?:[A-Za-z0-9]+-)*(?:passw(?:or)?d|pwd|secret|token|auth|credentials?|api-?key|access-key|secret-key|private-key)[ \t]+${QUOTE})(?!-)${VALUE}`,
      'gi',
    ),
    samples: [
      sample(fake(16), (s) => `skopeo copy --dest-password ${s} x y`),
      sample(fake(16), (s) => `oc login --password ${s} https://api.example.com:6443`),
      sample(fake(20), (s) => `gh auth login --with-token --token '${s}'`),
    ],
    nearMisses: ['docker login --password-stdin', '--token-file /var/run/token'],
  },
  {
    kind: 'url',
    name: 'url-credentials',
    matches: 'the password of credentials in a URL, also JSON-escaped (the user is kept)',
    shape: '`https://user:…@host`, `https:\\/\\/user:…@host`',
    anchors: ['://', ':\\/', ':\\\\'],
    samples: [
      sample(fake(14), (s) => `git clone https://bot:${s}@github.com/acme/x.git`),
      sample(fake(14), (s) => `"url":"https:\\/\\/bot:${s}@git.example.com\\/x"`),
    ],
    nearMisses: ['https://only-user@example.com/x', 'ssh://git@github.com:22/acme/x'],
  },
];
