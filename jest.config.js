// Jest 30 cannot require() the ESM-only NestJS 12 packages on Node 20, so swc compiles them (and the
// other ESM dependencies listed below) to CommonJS on the way in. swc does not type-check: `npm run typecheck` does.
const esmPackages = [
  '@nestjs',
  '@electric-sql',
  'file-type',
  'strtok3',
  'token-types',
  'uint8array-extras',
  '@tokenizer',
  '@borewit',
];

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test', '<rootDir>/bench'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'cjs', 'mjs', 'json'],
  transform: { '^.+\\.(t|j|cj|mj)s$': swc },
  transformIgnorePatterns: [`node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: {
    // The parser pool's workers cannot import src/'s TypeScript by themselves: tests hand them a file that can.
    'parser-worker-file\\.js$': '<rootDir>/test/support/parser-worker-file.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 30000,
};
