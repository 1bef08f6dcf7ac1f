/** RFC 7616 §3.9.1, the example both Digest implementations (the action's and the emulator's) must reproduce. */
export const RFC7616_EXAMPLE = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
  qop: 'auth'
}

export const RFC7616_RESPONSES = {
  MD5: '8ca523f5e9506fed4657c9700eebdbec',
  'SHA-256': '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'
} as const
