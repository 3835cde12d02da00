// SPDX-License-Identifier: MIT
// npm-follow.mjs MEMBER_URL - Xen Orchestra's unmodified `xen-api`, given
// a pool member, follows HOST_IS_SLAVE to the master and reads the pool.
import assert from 'node:assert/strict'
import { Xapi } from 'xen-api'

const xapi = new Xapi({
  url: process.argv[2],
  auth: { user: 'root', password: 'x' },
  watchEvents: false,
})
await xapi.connect()
const hosts = await xapi.getAllRecords('host')
assert.deepEqual(hosts.map(h => h.name_label).sort(), ['xs-01', 'xs-02'])
await xapi.disconnect()
console.log('npm xen-api followed HOST_IS_SLAVE')
process.exit(0)
