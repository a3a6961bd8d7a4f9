/**
 * Normalising one failure line: what changes from run to run (ids, hashes, digests,
 * timestamps, durations, paths, line numbers, versions, pod, run, component and namespace
 * names) becomes a placeholder, so the same cause reads the same in every run, component
 * and namespace. What tells causes apart stays: registry hosts, HTTP statuses, exit
 * codes, Tekton reasons, and the words of the message. Pure: no I/O.
 *
 * The rules run in order: specific shapes (Tekton's, KITE's own report sentences) before
 * generic ones (paths, numbers), because a generic rule would eat the context a specific
 * one needs. docs/failure-signatures.md lists them with examples.
 */

/**
 * Kubernetes' `generateName` suffix: five characters from an alphabet without vowels
 * (`k8s.io/apiserver` `SimpleNameGenerator`), so words like "build" or "image" never match.
 */
const RANDOM = '[bcdfghjklmnpqrstvwxz2456789]{5}';
const RUN_PREFIX = new RegExp(`^[a-z0-9.-]*?-${RANDOM}-(?=[a-z])`);
/** Pipelines as Code run names: `<component>-on-push-<random>`, `…-on-pull-request-…`. */
const PAC_PREFIX = /^[a-z0-9.-]*?-on-(?:push|pull-request|cel|comment)-[a-z0-9]{5}-(?=[a-z])/;

/** A failed pipeline task's name without the run it ran in (a TaskRun's name, when Tekton gave no label). */
export function taskName(name: string): string {
  const lower = name.toLowerCase();
  return lower.replace(PAC_PREFIX, '').replace(RUN_PREFIX, '');
}

/** A step's name without Tekton's `step-` container prefix. */
export function stepName(name: string): string {
  return name.toLowerCase().replace(/^step-/, '');
}

type Rule = readonly [RegExp, string];

/** Words that follow a noun like "release" in a sentence, where no name follows. */
const NOT_A_NAME =
  '(?!(?:failed|fails|plan|pipeline|of|for|is|was|has|had|during|not|and|to|in|with|does|did|cannot|could)(?![\\w-]))';

const RULES: readonly Rule[] = [
  // Tekton's pointer to the logs and the step's image: run-specific by design.
  [/;?\s*for logs run:?\s*kubectl\b.*$/, ''],
  [/\s*\(image: "?[^)]*\)/g, ''],
  // KITE's own sentences around a failure: the object named changes, the sentence not.
  [
    /\b(taskrun|pipelinerun|pod|pods|release|snapshot|pipeline run|secret|configmap|serviceaccount)\s+"[^"]*"/g,
    '$1 <name>',
  ],
  [
    new RegExp(
      `\\b(component|application|release plan|releaseplan|releaseplanadmission|scenario|namespace|repository|project|secret|configmap|serviceaccount)\\s+${NOT_A_NAME}"?[a-z0-9][\\w./@-]*"?`,
      'g',
    ),
    '$1 <name>',
  ],
  [
    new RegExp(
      `\\b(taskrun|pipelinerun|pipeline run|mintmaker run|release|snapshot)(?::\\s*|\\s+)${NOT_A_NAME}[a-z0-9][\\w./-]*`,
      'g',
    ),
    '$1 <name>',
  ],
  [/\b(pipeline|task)\s+[a-z0-9][\w.-]*\/[a-z0-9][\w.-]*/g, '$1 <name>'],
  [/\s-n\s+[a-z0-9][\w.-]*/g, ' -n <ns>'],
  // npm names the project it was resolving: the component.
  [/\bwhile resolving: \S+/g, 'while resolving: <name>'],
  // Absolute paths first: their directories hold anything (`github.com/…`, `0h`, dates).
  [/(^|[\s"'=(:])\/[\w.@+-]+(?:\/[\w.@+-]+)*/g, '$1<path>'],
  // Time: RFC 3339 and common log stamps, then Go and Kubernetes durations.
  [/\d{4}-\d\d-\d\d[t ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:z|[+-]\d\d:?\d\d)?/g, '<time>'],
  [/\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d/g, '<time>'],
  [/\b\d\d:\d\d:\d\d(?:\.\d+)?\b/g, '<time>'],
  // Kubernetes names with a generated suffix (runs, pods, snapshots), on their own: inside
  // a path or an image reference they are the path's business.
  [
    new RegExp(`(?<![\\w./-])[a-z0-9][a-z0-9.-]*-${RANDOM}(?:-[a-z0-9-]+)?(?![\\w/-])`, 'g'),
    '<name>',
  ],
  [/(?<![\w.-])(?:\d+(?:\.\d+)?(?:h|ms|µs|us|ns|m|s)){1,4}(?![\w-])/g, '<duration>'],
  // Identities: IPs, digests, then (after URLs) UUIDs, request ids, commits and layers.
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<ip>'],
  [/\bsha(?:256|512|1):[0-9a-f]{7,128}/g, '<digest>'],
  // URLs and image references keep their host: quay.io failing is not registry.redhat.io
  // failing.
  [/\b([a-z]+):\/\/([a-z0-9.-]+)(?::\d+)?[^\s"')]*/g, '$1://$2/<path>'],
  [
    /(?<![\w.-])((?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?)\/[a-z0-9][\w.-]*(?:\/[\w.-]+)*(?::[\w.-]+)?(?:@<digest>)?/g,
    '$1/<ref>',
  ],
  [/@<digest>/g, ''],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>'],
  // GitHub's request ids: `0780:47B9:5F8F8C:C541B8:63804C4E`.
  [/(?<![\w-])[0-9a-f]{3,10}(?::[0-9a-f]{3,10}){3,5}(?![\w-])/g, '<id>'],
  [/(?<![\w-])0x[0-9a-f]+(?![\w-])/g, '<id>'],
  // Commits, layers, installation ids: one placeholder for hex and long numbers alike, as a
  // short commit can be all digits and an id can be printed either way.
  // No English word is twelve hex letters long: that long, letters alone are an id too.
  [/(?<![\w-])(?:(?=[0-9a-f]*\d)[0-9a-f]{7,}|[0-9a-f]{12,})(?![\w-])/g, '<id>'],
  [/-[0-9a-f]{16,}(?![\w-])/g, '-<id>'],
  // Relative paths (not Go's "i/o"), then file:line:column positions.
  [/(^|[\s"'=(:])(?!i\/o\b)(?:\.{0,2}\/)?(?:[\w.@+-]+\/)+[\w.@+-]+/g, '$1<path>'],
  [/(<path>|\.[a-z]{1,5}):\d+(?::\d+)?/g, '$1:<n>'],
  [/\b(line|column|col|offset|position)\s+\d+/g, '$1 <n>'],
  // Versions, then quantities and big numbers.
  [/\bv?\d+\.\d+(?:\.\d+)?(?:[-+][\w.]+)?\b/g, '<version>'],
  [/(?<![\w-])\d+(?:\.\d+)?(?:[kmgtp]i?|[kmgtp]?b)(?![\w-])/g, '<quantity>'],
  [/(?<![\w-])\d{4,}(?![\w-])/g, '<id>'],
  // Counts (“3 violations”, “attempt 2”) say how much, not why; exit codes, signals and
  // HTTP statuses (100–599) say why and stay.
  [/\b(attempt|retry|retries|try)\s+\d+\b/g, '$1 <n>'],
  [/(?<!\b(?:code|status|signal|http|exit)\s)\b(?![1-5]\d\d\b)\d+(?= [a-z])/g, '<n>'],
  [/\s+/g, ' '],
];

/** A line of a failure, normalised; lower case, whitespace collapsed. */
export function normaliseLine(line: string): string {
  let text = line.toLowerCase();
  for (const [pattern, replacement] of RULES) text = text.replace(pattern, replacement);
  return text.trim().replace(/[\s.:;,]+$/, '');
}
