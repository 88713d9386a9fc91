// Lint: typescript-eslint recommended rules; type-checking is done by `tsc` separately.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const root = path.dirname(fileURLToPath(import.meta.url));

// The workspace packages: a relative import may not leave its package (other packages are
// imported by name, @rvw/*, so the dependency direction stays visible and checked). test/ and
// bench/ are not packages; they share the harness between them.
const PACKAGES = ['protocol', 'sfu', 'documents', 'signaling', 'web-client', 'infra'];

/** rvw/no-relative-outside-package: `../../other-package/...` is an error. */
const noRelativeOutsidePackage = {
  meta: { type: 'problem', schema: [], messages: { leaves: "'{{source}}' leaves {{owner}}/: import the other package by its name (@rvw/...)." } },
  create(context) {
    const file = context.filename;
    const owner = path.relative(root, file).split(path.sep)[0];
    if (!PACKAGES.includes(owner)) return {};
    const ownerDir = path.join(root, owner) + path.sep;
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = path.resolve(path.dirname(file), source.value);
      if (!(target + path.sep).startsWith(ownerDir)) context.report({ node: source, messageId: 'leaves', data: { source: source.value, owner } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

/** no-restricted-imports for one package: these of our packages (and patterns) are off limits. */
const boundary = (pkg, forbidden, extra = []) => ({
  files: [`${pkg}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...forbidden.map((other) => ({
            group: [`@rvw/${other}`, `@rvw/${other}/**`],
            message: `${pkg} must not depend on ${other} (see docs/layout.md for the dependency direction).`,
          })),
          ...extra,
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'data/**', '.cache/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { rvw: { rules: { 'no-relative-outside-package': noRelativeOutsidePackage } } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      'rvw/no-relative-outside-package': 'error',
    },
  },
  {
    // Benchmarks and command-line scripts print their result lines on stdout by design.
    files: ['bench/**', 'infra/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  // The dependency direction (docs/layout.md): protocol ← sfu ← documents ← signaling ← infra;
  // web-client sees protocol only. sfu takes only protocol's vocabulary and error codes.
  boundary('protocol', ['sfu', 'documents', 'signaling', 'web-client', 'infra'], [
    { group: ['node:*'], message: 'protocol runs in browsers and nodes alike: no node: imports.' },
  ]),
  boundary('sfu', ['documents', 'signaling', 'web-client', 'infra']),
  boundary('documents', ['signaling', 'web-client', 'infra']),
  boundary('signaling', ['web-client', 'infra']),
  boundary('web-client', ['sfu', 'documents', 'signaling', 'infra']),
);
