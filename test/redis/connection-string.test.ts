import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { connectRedis } from '../../src/redis/client.ts';
import {
  CONNECTION_STRING_DEFAULTS,
  commandTimeoutMs,
  describeNoEffectOptions,
  formatConnectionString,
  formatEndpoint,
  NO_EFFECT_OPTIONS,
  OPTION_EFFECTS,
  OPTIONS,
  parseConnectionString,
  type RedisConnectionSettings,
  redactConnectionString,
} from '../../src/redis/connection-string.ts';
import { RedisError } from '../../src/redis/errors.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';

const CODE = 'TESSERA_REDIS_CONNECTION_STRING';

/** The settings of a string that names only `endpoints`: every default. */
const DEFAULT_SETTINGS = {
  ssl: false,
  defaultDatabase: 0,
  connectTimeoutMs: 5000,
  syncTimeoutMs: 5000,
  connectRetry: 3,
  keepAliveSeconds: -1,
  abortConnect: true,
  allowAdmin: false,
} as const;

function settings(overrides: Partial<RedisConnectionSettings>): RedisConnectionSettings {
  return { endpoints: [{ host: 'redis', port: 6379 }], ...DEFAULT_SETTINGS, ...overrides };
}

/** The RedisError that `action` throws (it must throw one, with the connection string code). */
function refusal(action: () => unknown): RedisError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof RedisError, `expected a RedisError, got ${String(error)}`);
    assert.equal(error.code, CODE);
    return error;
  }
  assert.fail('expected a RedisError, but nothing was thrown');
}

const refusalOf = (text: string) => refusal(() => parseConnectionString(text));

describe('parseConnectionString', () => {
  describe('endpoints', () => {
    it('reads host, host:port, [IPv6], [IPv6]:port and IPv4 endpoints in the order written', () => {
      const parsed = parseConnectionString(
        'redis1,redis2.example.com:7000,[::1],[2001:db8::1]:6390,10.0.0.7:6381',
      );
      assert.deepEqual(parsed.endpoints, [
        { host: 'redis1', port: 6379 },
        { host: 'redis2.example.com', port: 7000 },
        { host: '::1', port: 6379 },
        { host: '2001:db8::1', port: 6390 },
        { host: '10.0.0.7', port: 6381 },
      ]);
    });

    it('gives an endpoint without a port 6380 when ssl=true, even when ssl comes after it', () => {
      assert.deepEqual(parseConnectionString('redis1,ssl=true,redis2').endpoints, [
        { host: 'redis1', port: 6380 },
        { host: 'redis2', port: 6380 },
      ]);
    });

    it('keeps a port written explicitly whatever ssl says', () => {
      assert.deepEqual(parseConnectionString('redis:6379,ssl=true').endpoints, [
        { host: 'redis', port: 6379 },
      ]);
      assert.deepEqual(parseConnectionString('redis:6380,ssl=false').endpoints, [
        { host: 'redis', port: 6380 },
      ]);
    });

    it('gives Sentinel endpoints without a port 26379 when serviceName is set, as StackExchange.Redis does', () => {
      assert.deepEqual(
        parseConnectionString('sentinel1,sentinel2:26380,serviceName=mymaster,ssl=true').endpoints,
        [
          { host: 'sentinel1', port: 26379 },
          { host: 'sentinel2', port: 26380 },
        ],
      );
    });

    it('accepts RFC 1123 host names: labels starting with a digit, inner hyphens, 63-character labels', () => {
      const label = 'a'.repeat(63);
      const parsed = parseConnectionString(`1redis,my-redis-01.example.com,${label}.example.com,localhost`);
      assert.deepEqual(
        parsed.endpoints.map((e) => e.host),
        ['1redis', 'my-redis-01.example.com', `${label}.example.com`, 'localhost'],
      );
    });
  });

  describe('options', () => {
    it('fills every default when the string names only an endpoint', () => {
      assert.deepEqual(parseConnectionString('redis'), settings({}));
    });

    it('reads every option into its settings field', () => {
      const parsed = parseConnectionString(
        'redis:6380,user=frontend,password=s3cret,ssl=true,sslHost=redis.example.com,sslProtocols=tls12|tls13,' +
          'serviceName=mymaster,defaultDatabase=2,name=frontend-1,connectTimeout=10000,syncTimeout=2000,' +
          'connectRetry=5,keepAlive=30,abortConnect=false,allowAdmin=true',
      );
      assert.deepEqual(parsed, {
        endpoints: [{ host: 'redis', port: 6380 }],
        user: 'frontend',
        password: 's3cret',
        ssl: true,
        sslHost: 'redis.example.com',
        sslProtocols: ['TLSv1.2', 'TLSv1.3'],
        serviceName: 'mymaster',
        defaultDatabase: 2,
        name: 'frontend-1',
        connectTimeoutMs: 10000,
        syncTimeoutMs: 2000,
        connectRetry: 5,
        keepAliveSeconds: 30,
        abortConnect: false,
        allowAdmin: true,
      });
    });

    it('accepts option keys and boolean values in any letter case', () => {
      const parsed = parseConnectionString(
        'redis,SSL=True,sslhost=redis.example.com,CONNECTTIMEOUT=100,AllowAdmin=TRUE',
      );
      assert.equal(parsed.ssl, true);
      assert.equal(parsed.sslHost, 'redis.example.com');
      assert.equal(parsed.connectTimeoutMs, 100);
      assert.equal(parsed.allowAdmin, true);
    });

    it('reads sslProtocols as Node TLS versions, oldest first, names in any case', () => {
      assert.deepEqual(parseConnectionString('redis,sslProtocols=Tls13|TLS12').sslProtocols, [
        'TLSv1.2',
        'TLSv1.3',
      ]);
      assert.deepEqual(parseConnectionString('redis,sslProtocols=tls13').sslProtocols, ['TLSv1.3']);
    });

    it('accepts keepAlive=-1 (the default) and keepAlive=0, as StackExchange.Redis does', () => {
      assert.equal(parseConnectionString('redis,keepAlive=-1').keepAliveSeconds, -1);
      assert.equal(parseConnectionString('redis,keepAlive=0').keepAliveSeconds, 0);
    });

    it('leaves an option that is not written absent from the settings', () => {
      const parsed = parseConnectionString('redis');
      for (const field of ['password', 'user', 'sslHost', 'sslProtocols', 'name', 'serviceName']) {
        assert.equal(field in parsed, false, field);
      }
    });
  });

  describe('values', () => {
    it('trims whitespace, tabs and line breaks around parts, keys and values', () => {
      const parsed = parseConnectionString(' redis1:6380 , redis2,\n\tssl = true ,\n name =  frontend \n');
      assert.deepEqual(
        parsed,
        settings({
          endpoints: [
            { host: 'redis1', port: 6380 },
            { host: 'redis2', port: 6380 },
          ],
          ssl: true,
          name: 'frontend',
        }),
      );
    });

    it('reads a double-quoted value holding commas, equals signs, doubled quotes and outer spaces', () => {
      assert.equal(parseConnectionString('redis,password="a,b=c""d"').password, 'a,b=c"d');
      assert.equal(parseConnectionString('redis,password=  " padded "  ,ssl=true').password, ' padded ');
      assert.equal(parseConnectionString('redis,password=""""').password, '"');
    });

    it('takes everything after the first "=" as the value, as StackExchange.Redis does', () => {
      assert.equal(parseConnectionString('redis,password=a=b=').password, 'a=b=');
    });

    it('takes a quote inside an unquoted value literally', () => {
      assert.equal(parseConnectionString('redis,password=ab"c').password, 'ab"c');
    });

    it('accepts an endpoint after a quoted password, whose end is certain', () => {
      assert.deepEqual(parseConnectionString('password="a,b",redis').endpoints, [
        { host: 'redis', port: 6379 },
      ]);
    });
  });

  it('returns deeply frozen settings', () => {
    const parsed = parseConnectionString('redis,sslProtocols=tls12');
    assert.ok(Object.isFrozen(parsed));
    assert.ok(Object.isFrozen(parsed.endpoints));
    assert.ok(Object.isFrozen(parsed.endpoints[0]));
    assert.ok(Object.isFrozen(parsed.sslProtocols));
  });
});

describe('parseConnectionString refuses a malformed string, naming the part and the fix', () => {
  it('names the part by position and text, and suggests the option meant', () => {
    assert.equal(
      refusalOf('redis,sslhots=redis.example.com').message,
      'Part 2 of the Redis connection string (sslhots=…): unknown option "sslhots". Did you mean "sslHost"? ' +
        'Known options: user, password, ssl, sslHost, sslProtocols, serviceName, defaultDatabase, name, ' +
        'connectTimeout, syncTimeout, asyncTimeout, connectRetry, keepAlive, abortConnect, allowAdmin; ' +
        'the other options of StackExchange.Redis are listed in docs/redis-tls.md.',
    );
  });

  const cases: [string, string, RegExp][] = [
    ['an empty string', '', /is empty\. Write at least one endpoint/],
    ['a string of spaces', '   ', /is empty/],
    [
      'an empty part between two commas',
      'a,,b',
      /^Part 2 of the Redis connection string is empty .*Remove one comma/,
    ],
    ['a trailing comma', 'a,ssl=true,', /ends with a comma \(part 3 is empty\)\. Remove the trailing comma/],
    ['a leading comma', ',a', /starts with a comma \(part 1 is empty\)/],
    [
      'an unknown option without a near name',
      'redis,colour=blue',
      /Part 2 .*\(colour=…\): unknown option "colour"\. Known options: user,/,
    ],
    [
      "another client's name for an option",
      'redis,username=app',
      /unknown option "username"\. Did you mean "user"\?/,
    ],
    [
      'a command rename',
      'redis,$CONFIG=',
      /^Part 2 .*\("\$CONFIG="\): renaming Redis commands is not supported/,
    ],
    [
      'a part starting with "="',
      'redis,=x',
      /^Part 2 of the Redis connection string has no option name before "="/,
    ],
    [
      'an option given twice, in another case',
      'redis,ssl=true,SSL=false',
      /The option ssl appears twice .*part 2 \("ssl=true"\) and part 3 \("SSL=false"\)\. Keep one/,
    ],
    [
      'a boolean that is not true or false',
      'redis,ssl=yes',
      /Part 2 .*\("ssl=yes"\): ssl must be true or false\./,
    ],
    [
      'a timeout that is not a number',
      'redis,connectTimeout=5s',
      /connectTimeout must be a whole number of milliseconds from 1 to 2147483647, e\.g\. connectTimeout=10000/,
    ],
    ['a zero timeout', 'redis,syncTimeout=0', /syncTimeout must be a whole number of milliseconds from 1/],
    ['a fractional number', 'redis,connectRetry=1.5', /connectRetry must be a whole number from 0/],
    ['a negative database', 'redis,defaultDatabase=-1', /defaultDatabase must be a whole number from 0/],
    ['a number beyond 32 bits', 'redis,defaultDatabase=2147483648', /from 0 to 2147483647/],
    [
      'keepAlive below -1',
      'redis,keepAlive=-2',
      /keepAlive must be a whole number of seconds from -1 .*\(-1 or 0: the default\)/,
    ],
    ['an empty value', 'redis,name=', /name needs a value\. Remove the part to leave name unset/],
    ['an empty quoted value', 'redis,user=""', /user needs a value/],
    [
      'a client name with a space',
      'redis,name=front end',
      /name may hold only printable ASCII characters without spaces/,
    ],
    [
      'an sslHost that is not a host name',
      'redis,sslHost=redis_1.example.com',
      /sslHost must be the host name .*"_"/,
    ],
    [
      'sslProtocols=ssl3',
      'redis,sslProtocols=ssl3',
      /"ssl3" is refused: only TLS 1\.2 and 1\.3 are supported/,
    ],
    ['sslProtocols=tls', 'redis,sslProtocols=tls', /"tls" is refused: only TLS 1\.2 and 1\.3 are supported/],
    ['sslProtocols=tls11', 'redis,sslProtocols=tls12|tls11', /"tls11" is refused: only TLS 1\.2 and 1\.3/],
    ['sslProtocols=tls1.2', 'redis,sslProtocols=tls1.2', /Write "tls1\.2" as tls12/],
    ['sslProtocols with a comma', 'redis,sslProtocols="tls12,tls13"', /separated by "\|"/],
    [
      'no endpoint',
      'ssl=true,password=x',
      /names no endpoint\. Begin it with host:port, e\.g\. redis\.example\.com:6380/,
    ],
    ['no Sentinel endpoint', 'serviceName=mymaster', /names no Sentinel endpoint.*:26379/],
    [
      'an endpoint twice',
      'redis,redis:6379',
      /The endpoint redis:6379 appears twice .*part 1 \("redis"\) and part 2 \("redis:6379"\)/,
    ],
    [
      'an endpoint twice once the ssl port applies',
      'redis:6380,redis,ssl=true',
      /The endpoint redis:6380 appears twice/,
    ],
    ['a host name twice in another case', 'Redis,REDIS', /appears twice/],
    [
      'an IPv6 address twice in two spellings',
      '[::1]:7000,[0:0::1]:7000',
      /The endpoint \[0:0::1\]:7000 appears twice/,
    ],
    [
      'port 0',
      'redis:0',
      /Part 1 .*\("redis:0"\) is not an endpoint: the port "0" must be a whole number from 1 to 65535/,
    ],
    ['port 65536', 'redis:65536', /the port "65536" must be a whole number from 1 to 65535/],
    ['a port that is not a number', 'redis:http', /the port "http" must be/],
    ['an empty port', 'redis:', /there is no port after ":"/],
    ['no host', ':6379', /there is no host before ":"/],
    [
      'an underscore in a host name',
      'redis_1',
      /"redis_1" contains "_"; a host name holds only letters, digits, hyphens and dots \(RFC 1123\)/,
    ],
    ['a space in a host name', 'redis 1', /contains " "/],
    ['a label starting with a hyphen', '-redis.example.com', /starts or ends with a hyphen/],
    ['two dots in a row', 'redis..example.com', /has an empty label/],
    ['a trailing dot', 'redis.example.com.', /has an empty label/],
    ['a label longer than 63 characters', `${'a'.repeat(64)}.example.com`, /label longer than 63 characters/],
    ['a host name longer than 253 characters', `${'a.'.repeat(127)}ab`, /at most 253 characters/],
    ['a bad IPv4 address', '10.0.0.256', /"10\.0\.0\.256" is not an IPv4 address/],
    ['an IPv4 address with three numbers', '10.0.1', /is not an IPv4 address/],
    [
      'an IPv6 address without brackets',
      '2001:db8::1',
      /write an IPv6 address in brackets, e\.g\. \[2001:db8::1\]:6380/,
    ],
    ['an unclosed bracket', '[::1:6379', /"\[" opens an IPv6 address but "\]" never closes it/],
    ['text after the bracket', '[::1]6379', /"6379" follows "\]"/],
    ['a host name in brackets', '[redis]:6379', /"redis" in brackets is not an IPv6 address/],
    [
      'a redis:// URL',
      'redis://redis:6379',
      /Part 1 .* looks like a URL\. Write host:port and options instead/,
    ],
    [
      'user@host',
      'app@redis:6379',
      /contains "@"\. Write the host alone, and the user and password as options/,
    ],
    [
      'an unclosed quote',
      'redis,name="frontend',
      /Part 2 .*: the value opens a double quote that is never closed/,
    ],
    ['text after a closing quote', 'redis,name="front"end', /there is text after the closing double quote/],
    [
      'a line break inside a part',
      'redis,name=front\nend',
      /Part 2 .* contains a control character \(U\+000A\)/,
    ],
  ];
  for (const [what, text, message] of cases) {
    it(`refuses ${what}`, () => assert.match(refusalOf(text).message, message));
  }

  it('refuses a part right after an unquoted password that is not an option: the rest of a password cut at a comma', () => {
    for (const text of ['redis,password=ab,cd', 'redis,password=ab,c!d', 'redis,password=ab,cd=ef']) {
      assert.match(
        refusalOf(text).message,
        /^Part 3 .* directly follows password=… and is not an option\. If the password contains a comma, write it in double quotes: password="…"/,
      );
    }
  });

  it('still suggests the option meant when a misspelt option follows the password', () => {
    assert.match(refusalOf('redis,password=x,sslhots=y').message, /Did you mean "sslHost"\?/);
  });
});

describe('no message shows the password', () => {
  const secret = 'Tr0ub4dor&3';
  const malformed = [
    `redis,password=${secret},ssl=maybe`,
    `redis,password=${secret},PASSWORD=${secret}`,
    `redis,pasword=${secret}`,
    `redis,passwort=${secret}`,
    `redis,PassWord=${secret},,ssl=true`,
    `redis,password=${secret},`,
    `password=${secret}`,
    `password=${secret},serviceName=mymaster`,
    `redis,password="${secret}`,
    `redis,password="${secret}"x`,
    `redis,password=${secret}\u0007`,
    `redis,=${secret}`,
    `redis,${secret}=x`,
    `redis,password=${secret},redis:99999`,
    `redis,password=${secret},redis,redis`,
    `redis,password=${secret.slice(0, 4)},${secret.slice(4)}`,
    `redis,password=${secret.slice(0, 4)},${secret.slice(4)},ssl=true`,
    `redis,password=ab,${secret}=cd`,
    `redis://:${secret}@redis:6379`,
    `app:${secret}@redis:6379`,
    `redis,user=app,password=${secret},connectTimeout=0`,
  ];
  for (const text of malformed) {
    it(`refuses ${JSON.stringify(text.replaceAll(secret, '<secret>'))} without showing it`, () => {
      const { message } = refusalOf(text);
      for (const piece of [secret, secret.slice(4), secret.slice(0, 6)]) {
        assert.equal(message.includes(piece), false, `the message shows "${piece}": ${message}`);
      }
    });
  }

  it('refuses settings it cannot write without showing the password', () => {
    for (const password of [`${secret}\n`, `\u0000${secret}`]) {
      const { message } = refusal(() => formatConnectionString(settings({ password })));
      assert.equal(message.includes(secret), false, message);
    }
  });
});

describe('formatConnectionString', () => {
  it('writes every endpoint with its port, then only the options that differ from their default', () => {
    const parsed = parseConnectionString(
      'host1,host2:7000,ssl=true,password=s3cret,sslHost=redis.example.com,connectTimeout=5000,abortConnect=true',
    );
    assert.equal(
      formatConnectionString(parsed),
      'host1:6380,host2:7000,password=s3cret,ssl=true,sslHost=redis.example.com',
    );
  });

  it('writes canonical keys in a fixed order', () => {
    const parsed = parseConnectionString('redis,ALLOWADMIN=true,keepalive=10,SSLPROTOCOLS=TLS13,User=app');
    assert.equal(
      formatConnectionString(parsed),
      'redis:6379,user=app,sslProtocols=tls13,keepAlive=10,allowAdmin=true',
    );
  });

  it('quotes a value only when it holds a comma, a double quote, or outer spaces', () => {
    const write = (password: string) =>
      formatConnectionString(settings({ password })).replace('redis:6379,', '');
    assert.equal(write('a,b'), 'password="a,b"');
    assert.equal(write('say "hi"'), 'password="say ""hi"""');
    assert.equal(write(' padded '), 'password=" padded "');
    assert.equal(write('a=b'), 'password=a=b');
    assert.equal(write('pässwörd'), 'password=pässwörd');
  });

  const strings = [
    'redis',
    'redis1:6380,redis2:6380,password=s3cret,ssl=true,sslHost=redis.example.com',
    '[::1],[2001:db8::1]:7000,10.0.0.1:6390,ssl=true',
    'redis,password="a,b""c=d",user=svc-frontend,name=frontend-1',
    'redis,password=" padded ",user=" u "',
    'redis,password=a=b',
    'sentinel1,sentinel2:26380,serviceName="my master",ssl=true,sslHost=::1',
    'h1:1,h2:65535,user=u,password=p,ssl=true,sslHost=10.1.2.3,sslProtocols=tls13,serviceName=m,defaultDatabase=15,' +
      'name=n,connectTimeout=1,syncTimeout=2147483647,connectRetry=0,keepAlive=0,abortConnect=false,allowAdmin=true',
    'redis,keepAlive=-1,ssl=false,abortConnect=true,connectRetry=3',
    'redis,sslProtocols=TLS13|tls12',
    'redis,password=pässwörd€,name=!~',
  ];
  for (const text of strings) {
    it(`round-trips ${JSON.stringify(text)}: parse(format(x)) equals x`, () => {
      const parsed = parseConnectionString(text);
      const written = formatConnectionString(parsed);
      assert.deepEqual(parseConnectionString(written), parsed);
      assert.equal(formatConnectionString(parseConnectionString(written)), written);
    });
  }

  it('round-trips a few hundred generated settings', () => {
    const random = seeded(20240607);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
    const hosts = ['redis', 'redis.example.com', '10.0.0.1', '::1', '2001:db8::42', 'a-b.c-d', 'R1', 'x9'];
    const texts = [undefined, 'p', 'a,b', '"q"', ' s ', 'x=y', 'ü', '""', ',', 'a b'];
    for (let round = 0; round < 300; round++) {
      const chosen = hosts.filter(() => random() < 0.4);
      const x: Record<string, unknown> = {
        ...DEFAULT_SETTINGS,
        endpoints: (chosen.length > 0 ? chosen : ['redis']).map((host) => ({
          host,
          port: pick([1, 6379, 6380, 26379, 65535]),
        })),
        ssl: pick([true, false]),
        defaultDatabase: pick([0, 1, 15]),
        connectTimeoutMs: pick([1, 5000, 30000]),
        syncTimeoutMs: pick([5000, 100]),
        connectRetry: pick([0, 3, 10]),
        keepAliveSeconds: pick([-1, 0, 60]),
        abortConnect: pick([true, false]),
        allowAdmin: pick([true, false]),
      };
      for (const field of ['password', 'user', 'serviceName']) {
        const value = pick(texts);
        if (value !== undefined) x[field] = value;
      }
      const name = pick([undefined, 'frontend-1', 'a"b,c']);
      if (name !== undefined) x.name = name;
      const sslHost = pick([undefined, 'redis.example.com', '10.1.1.1', '::1']);
      if (sslHost !== undefined) x.sslHost = sslHost;
      const sslProtocols = pick([undefined, ['TLSv1.2'], ['TLSv1.3'], ['TLSv1.2', 'TLSv1.3']]);
      if (sslProtocols !== undefined) x.sslProtocols = sslProtocols;
      const settingsX = x as unknown as RedisConnectionSettings;
      assert.deepEqual(parseConnectionString(formatConnectionString(settingsX)), settingsX);
    }
  });

  const unwritable: [string, Partial<RedisConnectionSettings>, RegExp][] = [
    ['no endpoint', { endpoints: [] }, /endpoints is empty/],
    ['port 0', { endpoints: [{ host: 'redis', port: 0 }] }, /endpoint 1 \("redis:0"\): the port "0" must be/],
    [
      'a fractional port',
      { endpoints: [{ host: 'redis', port: 6379.5 }] },
      /endpoint 1 .*must be a whole number/,
    ],
    ['an IPv6 host in brackets', { endpoints: [{ host: '[::1]', port: 6379 }] }, /endpoint 1/],
    ['a bad host name', { endpoints: [{ host: 'redis_1', port: 6379 }] }, /contains "_"/],
    [
      'the same endpoint twice',
      {
        endpoints: [
          { host: 'redis', port: 1 },
          { host: 'REDIS', port: 1 },
        ],
      },
      /listed twice/,
    ],
    [
      'a zero timeout',
      { connectTimeoutMs: 0 },
      /^Cannot write the Redis connection string: connectTimeoutMs: connectTimeout must be a whole number/,
    ],
    ['a fractional timeout', { syncTimeoutMs: 1.5 }, /syncTimeoutMs: syncTimeout must be a whole number/],
    ['an empty password', { password: '' }, /password: password needs a value/],
    ['a client name with a space', { name: 'front end' }, /name: name may hold only printable ASCII/],
    ['a value with a line break', { user: 'a\nb' }, /user contains a control character/],
    [
      'a boolean written as text',
      { ssl: 'true' as unknown as boolean },
      /ssl cannot be written as ssl=… and read back unchanged/,
    ],
    ['an empty sslProtocols list', { sslProtocols: [] }, /sslProtocols: sslProtocols lists the TLS versions/],
  ];
  for (const [what, overrides, message] of unwritable) {
    it(`refuses settings with ${what}, which it could not read back`, () => {
      assert.match(refusal(() => formatConnectionString(settings(overrides))).message, message);
    });
  }
});

describe('redactConnectionString', () => {
  it('shows the password as ***** and everything else as formatConnectionString does', () => {
    const parsed = parseConnectionString('redis:6380,password="a,b",ssl=true,user=app');
    assert.equal(redactConnectionString(parsed), 'redis:6380,user=app,password=*****,ssl=true');
  });

  it('is formatConnectionString when there is no password', () => {
    const parsed = parseConnectionString('redis,ssl=true,name=frontend');
    assert.equal(redactConnectionString(parsed), formatConnectionString(parsed));
  });
});

describe('formatEndpoint', () => {
  it('writes host:port, with an IPv6 address in brackets', () => {
    assert.equal(formatEndpoint({ host: 'redis.example.com', port: 6380 }), 'redis.example.com:6380');
    assert.equal(formatEndpoint({ host: '::1', port: 6380 }), '[::1]:6380');
  });
});

describe('CONNECTION_STRING_DEFAULTS', () => {
  it('holds the defaults of StackExchange.Redis, with units in the names, frozen', () => {
    assert.deepEqual(CONNECTION_STRING_DEFAULTS, {
      port: 6379,
      sslPort: 6380,
      sentinelPort: 26379,
      ...DEFAULT_SETTINGS,
    });
    assert.ok(Object.isFrozen(CONNECTION_STRING_DEFAULTS));
  });
});

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every key StackExchange.Redis reads in a connection string (ConfigurationOptions), and command renames. */
const STACKEXCHANGE_KEYS = [
  ...['abortConnect', 'allowAdmin', 'asyncTimeout', 'channelPrefix', 'checkCertificateRevocation'],
  ...['configChannel', 'configCheckSeconds', 'connectRetry', 'connectTimeout', 'defaultDatabase'],
  ...['highPriorityThreads', 'keepAlive', 'name', 'password', 'preserveAsyncOrder', 'protocol', 'proxy'],
  ...['resolveDns', 'responseTimeout', 'serviceName', 'setlib', 'ssl', 'sslHost', 'sslProtocols'],
  ...['syncTimeout', 'tiebreaker', 'tunnel', 'user', 'version', 'writeBuffer', '$<command>'],
];

describe('every StackExchange.Redis option is honoured, accepted with no effect here, or refused', () => {
  it('has one entry per option in OPTIONS, each with its effect, and a reason for all but the honoured', () => {
    assert.deepEqual(OPTIONS.map((spec) => spec.key).sort(), [...STACKEXCHANGE_KEYS].sort());
    for (const spec of OPTIONS) {
      assert.ok(OPTION_EFFECTS.includes(spec.effect), spec.key);
      if (spec.effect !== 'honoured') assert.ok(spec.reason.length > 20, `${spec.key} has no reason`);
    }
  });

  const honoured: [string, string, keyof RedisConnectionSettings, unknown][] = [
    ['user', 'app', 'user', 'app'],
    ['password', 'p', 'password', 'p'],
    ['ssl', 'true', 'ssl', true],
    ['sslHost', 'redis.example.com', 'sslHost', 'redis.example.com'],
    ['sslProtocols', 'tls13', 'sslProtocols', ['TLSv1.3']],
    ['serviceName', 'mymaster', 'serviceName', 'mymaster'],
    ['defaultDatabase', '3', 'defaultDatabase', 3],
    ['name', 'frontend-1', 'name', 'frontend-1'],
    ['connectTimeout', '15000', 'connectTimeoutMs', 15000],
    ['syncTimeout', '3000', 'syncTimeoutMs', 3000],
    ['asyncTimeout', '7000', 'asyncTimeoutMs', 7000],
    ['connectRetry', '5', 'connectRetry', 5],
    ['keepAlive', '180', 'keepAliveSeconds', 180],
    ['abortConnect', 'false', 'abortConnect', false],
    ['allowAdmin', 'true', 'allowAdmin', true],
  ];
  it('lists a test for each honoured option', () => {
    assert.deepEqual(
      honoured.map(([key]) => key),
      OPTIONS.filter((spec) => spec.effect === 'honoured').map((spec) => spec.key),
    );
  });
  for (const [key, text, field, value] of honoured) {
    it(`honours ${key}=${text}: read into ${field}, written back by format`, () => {
      const parsed = parseConnectionString(`redis:7000,${key}=${text}`);
      assert.deepEqual(parsed[field], value);
      assert.equal('noEffect' in parsed, false);
      const written = formatConnectionString(parsed);
      assert.equal(written, `redis:7000,${key}=${text}`);
      assert.deepEqual(parseConnectionString(written), parsed);
    });
  }

  it('allows a command the larger of syncTimeout and asyncTimeout', () => {
    assert.equal(commandTimeoutMs(parseConnectionString('redis')), 5000);
    assert.equal(commandTimeoutMs(parseConnectionString('redis,asyncTimeout=8000')), 8000);
    assert.equal(commandTimeoutMs(parseConnectionString('redis,syncTimeout=9000,asyncTimeout=100')), 9000);
    assert.equal(commandTimeoutMs(parseConnectionString('redis,syncTimeout=100,asyncTimeout=9000')), 9000);
  });

  /** Each no-effect option: the values it accepts, as written and as format writes them back. */
  const noEffect: [string, [string, string][]][] = [
    ['tiebreaker', [['', '']]],
    ['configChannel', [['', '']]],
    ['channelPrefix', [['', '']]],
    ['tunnel', [['', '']]],
    [
      'proxy',
      [
        ['None', 'None'],
        ['none', 'None'],
      ],
    ],
    [
      'checkCertificateRevocation',
      [
        ['false', 'false'],
        ['False', 'false'],
      ],
    ],
    [
      'version',
      [
        ['7.0', '7.0'],
        ['6', '6'],
        ['7.2.4', '7.2.4'],
      ],
    ],
    [
      'setlib',
      [
        ['false', 'false'],
        ['TRUE', 'true'],
      ],
    ],
    ['resolveDns', [['true', 'true']]],
    ['configCheckSeconds', [['60', '60']]],
    [
      'protocol',
      [
        ['resp2', 'resp2'],
        ['RESP3', 'resp3'],
        ['2', 'resp2'],
      ],
    ],
    ['highPriorityThreads', [['true', 'true']]],
    ['preserveAsyncOrder', [['false', 'false']]],
    ['responseTimeout', [['5000', '5000']]],
    ['writeBuffer', [['8192', '8192']]],
  ];
  it('lists a test for each option accepted with no effect here', () => {
    assert.deepEqual(
      noEffect.map(([key]) => key),
      NO_EFFECT_OPTIONS.map((spec) => spec.key),
    );
  });
  for (const [key, values] of noEffect) {
    for (const [text, written] of values) {
      it(`accepts ${key}=${text} with no effect here, and writes it back as ${key}=${written}`, () => {
        const parsed = parseConnectionString(`redis,${key}=${text}`);
        assert.deepEqual(parsed, { ...parseConnectionString('redis'), noEffect: { [key]: written } });
        const string = formatConnectionString(parsed);
        assert.equal(string, `redis:6379,${key}=${written}`);
        assert.deepEqual(parseConnectionString(string), parsed);
        assert.equal(redactConnectionString(parsed), string);
        const [described] = describeNoEffectOptions(parsed.noEffect);
        assert.ok(described?.startsWith(`${key}=${written} (`), described);
      });
    }
  }

  it('keeps several no-effect options, in the order of the table, next to honoured ones', () => {
    const parsed = parseConnectionString(
      'redis,setlib=false,password=p,version=7.0,asyncTimeout=5000,tiebreaker=,resolveDns=true',
    );
    assert.deepEqual(parsed.noEffect, {
      tiebreaker: '',
      version: '7.0',
      setlib: 'false',
      resolveDns: 'true',
    });
    assert.ok(Object.isFrozen(parsed.noEffect));
    assert.equal(
      formatConnectionString(parsed),
      'redis:6379,password=p,asyncTimeout=5000,tiebreaker=,version=7.0,setlib=false,resolveDns=true',
    );
  });

  const refusedValues: [string, RegExp][] = [
    ['tiebreaker=__Booksleeve_TieBreak', /tiebreaker names a key .*Remove the part, or leave it empty/],
    ['configChannel=__Booksleeve_MasterChanged', /configChannel names a pub\/sub channel .*leave it empty/],
    ['channelPrefix=app1:', /channelPrefix would prefix pub\/sub channel names.*Remove the part/],
    ['tunnel=http:proxy.example.com:8080', /an HTTP proxy, which Tessera does not support/],
    ['proxy=Twemproxy', /proxy=Twemproxy means a proxy in front of Redis/],
    ['proxy=envoyproxy', /proxy=Envoyproxy means a proxy/],
    ['checkCertificateRevocation=true', /does not check certificate revocation .*would trust a revoked/],
    ['$CONFIG=', /renaming Redis commands is not supported/],
    ['$flushall=', /renaming Redis commands is not supported/],
    ['version=seven', /version must be a Redis version of one to four numbers/],
    ['proxy=haproxy', /proxy must be one of none, twemproxy, envoyproxy/],
    ['protocol=resp4', /protocol must be one of resp2, resp3, 2, 3/],
    ['setlib=no', /setlib must be true or false/],
    ['writeBuffer=big', /writeBuffer must be a whole number/],
  ];
  for (const [part, message] of refusedValues) {
    it(`refuses ${part}, naming the part and saying why`, () => {
      assert.match(refusalOf(`redis,${part}`).message, /^Part 2 of the Redis connection string \(/);
      assert.match(refusalOf(`redis,${part}`).message, message);
    });
  }

  it('refuses a no-effect option given twice', () => {
    assert.match(refusalOf('redis,version=7,VERSION=6').message, /The option version appears twice/);
  });

  it('refuses settings whose noEffect is not an accepted value of a no-effect option', () => {
    const write = (noEffect: Record<string, string>) =>
      refusal(() => formatConnectionString(settings({ noEffect }))).message;
    assert.match(write({ tiebreaker: 'x' }), /noEffect\.tiebreaker: tiebreaker names a key/);
    assert.match(
      write({ ssl: 'true' }),
      /noEffect names "ssl", which is not an option accepted with no effect/,
    );
    assert.match(write({ Version: '7' }), /noEffect names "Version"/);
    assert.match(write({ proxy: 'none' }), /noEffect\.proxy cannot be written as proxy=… and read back/);
  });

  it('lists every option in docs/redis-tls.md with its effect', async () => {
    const docs = await readFile(new URL('../../docs/redis-tls.md', import.meta.url), 'utf8');
    for (const spec of OPTIONS) {
      const effect = { honoured: 'honoured', 'no effect': 'accepted, no effect here', refused: 'refused' }[
        spec.effect
      ];
      const named = new RegExp(`\`${spec.key.replace(/[$<>]/g, '\\$&')}[\`=]`);
      const rows = docs.split('\n').filter((line) => named.test(line.split('|')[1] ?? ''));
      assert.ok(
        rows.some((row) => row.includes(` | ${effect}`)),
        `docs/redis-tls.md has no row for ${spec.key} that says "${effect}"`,
      );
    }
  });
});

describe('connection strings as operators already have them', () => {
  // Written after the samples that cloud consoles and the StackExchange.Redis documentation show.
  const samples: [string, string][] = [
    ['the StackExchange.Redis docs, several servers', 'redis0:6380,redis1:6380,allowAdmin=true'],
    ['the StackExchange.Redis docs, Sentinel', 'localhost,serviceName=mymaster'],
    [
      'the StackExchange.Redis docs, Azure',
      'contoso5.redis.cache.windows.net,ssl=true,password=ExampleKey0123456789abcdefABCDEF=',
    ],
    [
      'the StackExchange.Redis docs, options with no effect',
      'redis0:6380,redis1:6380,allowAdmin=true,keepAlive=180,version=2.8.8,configCheckSeconds=60',
    ],
    [
      'an Azure Cache for Redis console',
      'contoso5.redis.cache.windows.net:6380,password=ExampleKey0123456789abcdefABCDEF=,ssl=True,abortConnect=False',
    ],
    [
      'an Azure Managed Redis console',
      'contoso5.eastus.redis.azure.net:10000,password=ExampleKey0123=,ssl=True,abortConnect=False,protocol=resp3',
    ],
    [
      'an AWS ElastiCache guide',
      'master.my-cache.abcdef.use1.cache.amazonaws.com:6379,ssl=true,abortConnect=false,user=app,password=example-auth-token-123456',
    ],
    [
      'the issue that asked for this',
      'redis.example.com:6380,ssl=true,sslHost=redis.example.com,password=p,asyncTimeout=5000',
    ],
    [
      'a .NET application with every timeout',
      'redis.example.com:6380,ssl=true,password=p,connectTimeout=15000,syncTimeout=5000,asyncTimeout=10000,connectRetry=3,keepAlive=60',
    ],
    [
      'a string with the common no-effect options',
      'redis.example.com:6380,ssl=true,password=p,tiebreaker=,configChannel=,resolveDns=true,version=7.0,setlib=false,checkCertificateRevocation=false',
    ],
    [
      'an old StackExchange.Redis 1.x string',
      'redis.example.com:6380,password=p,ssl=True,abortConnect=False,syncTimeout=3000,responseTimeout=3000,writeBuffer=8192,preserveAsyncOrder=false,highPriorityThreads=true,proxy=None',
    ],
  ];
  for (const [where, text] of samples) {
    it(`reads a string from ${where}, and writes it back to the same settings`, () => {
      const parsed = parseConnectionString(text);
      assert.deepEqual(parseConnectionString(formatConnectionString(parsed)), parsed);
    });
  }
});

describe('a part that looks like a password is never shown', () => {
  const secret = 'Hunter2-very-secret';
  const shapes = [
    `redis,password:${secret}`,
    `redis,password ${secret}`,
    `redis,Password: ${secret}`,
    `redis,PASSWORD :${secret},ssl=true`,
    `redis,pwd:${secret}`,
    `redis,pass ${secret}`,
    `redis,secret:${secret}`,
    `redis,token ${secret}`,
    `redis,access_key:${secret}`,
    `redis,authToken;${secret}`,
    `redis,password:1234`,
    `redis,redispass:${secret}`,
    `redis,mypassword/${secret}`,
  ];
  for (const text of shapes) {
    it(`refuses ${JSON.stringify(text.replaceAll(secret, '<secret>'))}, naming the part and the fix, not its text`, () => {
      const { message } = refusalOf(text);
      assert.match(
        message,
        /^Part 2 of the Redis connection string (looks like a password written without "="|is not an endpoint, and is not shown: it may hold a password)/,
      );
      assert.match(message, /the password as password=…/);
      assert.equal(message.includes(secret.slice(0, 6)), false, message);
      assert.equal(message.includes('1234'), false, message);
    });
  }

  const runTogether = [
    `redis,ssl=true password=${secret}`,
    `redis,ssl=true;password=${secret}`,
    `redis,sslHost=redis.example.com;password=${secret}`,
    `redis,sslProtocols=tls12 pwd:${secret}`,
    `redis,ssl=true,SSL=false;password=${secret}`,
    `redis,$CONFIG=x password=${secret}`,
    `redis,tiebreaker=x;password=${secret}`,
    `redis:6380 password:${secret}`,
    `redis:6380;password:${secret}`,
  ];
  for (const text of runTogether) {
    it(`refuses ${JSON.stringify(text.replaceAll(secret, '<secret>'))}, a password run into another part, without showing it`, () => {
      const { message } = refusalOf(text);
      assert.match(message, /^(Part \d|The option)/);
      assert.equal(message.includes(secret.slice(0, 6)), false, message);
    });
  }

  it('suggests password= for an unknown key that names a secret, without its value', () => {
    for (const key of ['pwd', 'Pass', 'passwd', 'secret', 'auth_token', 'accessKey']) {
      const { message } = refusalOf(`redis,${key}=${secret}`);
      assert.match(message, /Did you mean "password"\?/, key);
      assert.equal(message.includes(secret), false, message);
    }
  });

  it('still reads host names that merely contain such a word', () => {
    assert.deepEqual(
      parseConnectionString('keystone-redis:6379,monkey:6380,passage.example.com').endpoints.map(
        (e) => e.host,
      ),
      ['keystone-redis', 'monkey', 'passage.example.com'],
    );
  });
});

describe('messages quote input bounded', () => {
  const bounded: [string, string][] = [
    ['a 100 KB port', `redis:${'9'.repeat(100_000)}`],
    ['a 100 KB host', `${'a'.repeat(100_000)}:6379`],
    ['a 100 KB IPv4-like host', `${'1.'.repeat(50_000)}1`],
    ['a 100 KB bracketed host', `[${'a'.repeat(100_000)}]`],
    ['100 KB after a bracket', `[::1]${'x'.repeat(100_000)}`],
    ['a 100 KB sslProtocols', `redis,sslProtocols=tls${'9'.repeat(100_000)}`],
    ['a 100 KB sslHost', `redis,sslHost=${'a_'.repeat(50_000)}`],
    ['a 100 KB client name', `redis,name=${'x '.repeat(50_000)}`],
    ['a 100 KB unknown key', `redis,${'k'.repeat(100_000)}=1`],
    ['a 100 KB IPv6 address without brackets', `${'1:'.repeat(7)}1%${'z'.repeat(100_000)}`],
  ];
  for (const [what, text] of bounded) {
    it(`refuses ${what} with a message under 1,000 characters`, () => {
      const { message } = refusalOf(text);
      assert.ok(message.length < 1000, `${message.length} characters: ${message.slice(0, 300)}`);
    });
  }

  it('never cuts a character in half', () => {
    const { message } = refusalOf(`redis,name=${'😀'.repeat(100)}`);
    assert.equal(
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(message),
      false,
    );
    assert.match(message, /😀…" \(\d+ characters\)/);
  });

  it('refuses unwritable settings with a bounded message', () => {
    const { message } = refusal(() =>
      formatConnectionString(settings({ endpoints: [{ host: 'a'.repeat(100_000), port: 1 }] })),
    );
    assert.ok(message.length < 1000, message.slice(0, 300));
  });
});

describe('asyncTimeout against a real Redis', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedisServer();
  });
  after(async () => {
    await server?.stop();
  });

  /** Runs a command that Redis answers after 400 ms (BLPOP on an empty list), with the given options. */
  async function slowCommand(options: string): Promise<unknown> {
    const connection = await connectRedis(parseConnectionString(`127.0.0.1:${server.port},${options}`), {
      env: {},
    });
    try {
      return await connection.command(['BLPOP', 'asynctimeout-test:empty', '0.4']);
    } finally {
      await connection.close();
    }
  }

  it('allows a command asyncTimeout when it is larger than syncTimeout', async () => {
    assert.equal(await slowCommand('syncTimeout=100,asyncTimeout=5000'), null);
  });

  it('still times a command out after syncTimeout when asyncTimeout is smaller', async () => {
    await assert.rejects(slowCommand('syncTimeout=100,asyncTimeout=50'), { code: 'TESSERA_REDIS_TIMEOUT' });
  });
});
