import { allowedOrigins, isAllowedOrigin } from '../../src/server/cors';

const DEVELOPMENT = { production: false, corsOrigins: [] };
const PRODUCTION = { production: true, corsOrigins: [] };
const LISTED = { production: true, corsOrigins: ['https://app.example.com'] };
const LISTED_IN_DEVELOPMENT = { production: false, corsOrigins: ['https://app.example.com'] };

describe('CORS origins', () => {
  it.each([
    ['development', DEVELOPMENT, 'http://localhost:3000', true],
    ['development', DEVELOPMENT, 'http://localhost:5173', true],
    ['development', DEVELOPMENT, 'http://localhost', true],
    ['development', DEVELOPMENT, 'http://127.0.0.1:8080', true],
    ['development', DEVELOPMENT, 'http://[::1]:3000', true],
    ['development', DEVELOPMENT, 'https://localhost:5173', true],
    ['development', DEVELOPMENT, 'http://localhost.evil.example:3000', false],
    ['development', DEVELOPMENT, 'http://localhost:3000.evil.example', false],
    ['development', DEVELOPMENT, 'http://127.0.0.1.evil.example', false],
    ['development', DEVELOPMENT, 'http://evil.example/http://localhost:3000', false],
    ['development', DEVELOPMENT, 'http://192.168.1.10:3000', false],
    ['development', DEVELOPMENT, 'https://app.example.com', false],
    ['development', DEVELOPMENT, 'null', false],
    ['production', PRODUCTION, 'http://localhost:3000', false],
    ['production', PRODUCTION, 'https://app.example.com', false],
    ['production + CORS_ORIGINS', LISTED, 'https://app.example.com', true],
    ['production + CORS_ORIGINS', LISTED, 'https://app.example.com.evil.example', false],
    ['production + CORS_ORIGINS', LISTED, 'http://app.example.com', false],
    ['production + CORS_ORIGINS', LISTED, 'http://localhost:3000', false],
    [
      'development + CORS_ORIGINS (the list replaces the default)',
      LISTED_IN_DEVELOPMENT,
      'http://localhost:3000',
      false,
    ],
    ['development + CORS_ORIGINS', LISTED_IN_DEVELOPMENT, 'https://app.example.com', true],
  ])('%s: %s → allowed %s', (_mode, options, origin, expected) => {
    expect(isAllowedOrigin(origin, allowedOrigins(options))).toBe(expected);
  });
});
