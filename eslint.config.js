import js from '@eslint/js'
import jest from 'eslint-plugin-jest'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'reports/', 'build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }]
    }
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['__tests__/**/*.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      // Helpers named expect… (expectOneError) assert for the test that calls them.
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expect*'] }],
      // Titles built from a table or a scenario's name: TypeScript already types them as strings.
      'jest/valid-title': ['error', { ignoreTypeOfTestName: true }],
      // jest's version knows that expect(object.method) does not call the method unbound.
      '@typescript-eslint/unbound-method': 'off',
      'jest/unbound-method': 'error'
    }
  },
  {
    // A scenario module exports the describe()s a test file of each tier calls.
    files: ['__tests__/scenarios/**/*.ts'],
    rules: { 'jest/no-export': 'off' }
  }
)
