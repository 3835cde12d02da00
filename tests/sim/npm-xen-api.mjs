// SPDX-License-Identifier: MIT
// npm-xen-api.mjs URL TRANSPORT [events] - Xen Orchestra's unmodified
// `xen-api` client against the simulator: connect (login with two
// arguments, pool.get_all_records, system.listMethods), read the pool and
// the VMs, call setters, see a XenAPI error with its code and params, and
// disconnect (session.logout). With "events", the client also watches
// events (event.inject, get_all_records of every class, event.from) and
// must see the setter's change arrive in its object cache.
import assert from 'node:assert/strict'
import { Xapi } from 'xen-api'

const [url, transport, events] = process.argv.slice(2)
const watch = events === 'events'

async function sim(path) {
  const res = await fetch(url + path)
  assert.equal(res.status, 200, path)
  return res.json()
}

const xapi = new Xapi({
  url,
  auth: { user: 'root', password: 'secret' },
  transport,
  watchEvents: watch ? undefined : false,
})
await xapi.connect()
assert.equal(xapi.status, 'connected')

// the pool record read at login
const pool = xapi.pool
assert.match(pool.$ref, /^OpaqueRef:/)
const hosts = await xapi.getAllRecords('host')
assert.equal(hosts.length, 1)
assert.equal(pool.master, hosts[0].$ref)
assert.equal(hosts[0].name_label, 'xs-01')

const vms = await xapi.getAllRecords('VM')
const web = vms.find(vm => vm.name_label === 'web-01')
assert.ok(web, 'web-01 listed')
assert.equal(web.power_state, 'Running')
assert.equal(web.resident_on, hosts[0].$ref)
assert.equal(Number(web.domid), 5)
assert.deepEqual(web.other_config, { owner: 'ops' })
assert.equal(await xapi.getField('VM', web.$ref, 'name_label'), 'web-01')

// setters
const key = 'npm-' + transport
await xapi.call('VM.add_to_other_config', web.$ref, key, 'yes')
await xapi.call('network.set_other_config',
  (await xapi.call('network.get_by_name_label', 'Storage network'))[0],
  { HideFromXenCenter: 'true' })
const oc = await xapi.call('VM.get_other_config', web.$ref)
assert.equal(oc[key], 'yes')

// an error: code and params
await assert.rejects(xapi.call('VM.add_to_other_config', web.$ref, key, 'yes'),
  error => {
    assert.equal(error.code, 'MAP_DUPLICATE_KEY')
    assert.deepEqual(error.params, ['VM', 'other_config', web.$ref, key])
    return true
  })
await assert.rejects(xapi.call('VM.get_record', 'OpaqueRef:nope'),
  error => error.code === 'HANDLE_INVALID' &&
    error.params.join(',') === 'VM,OpaqueRef:nope')

await xapi.call('VM.remove_from_other_config', web.$ref, key)

if (watch) {
  // the object cache follows changes through event.from
  await xapi.objectsFetched
  const cached = () => xapi.getObjectByRef(web.$ref).other_config[key]
  const waitFor = async value => {
    const deadline = Date.now() + 10000
    while (cached() !== value) {
      assert.ok(Date.now() < deadline, `the cache got ${value}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  // the removal above reaches the cache through an event, a moment later
  await waitFor(undefined)
  await xapi.call('VM.add_to_other_config', web.$ref, key, 'seen')
  await waitFor('seen')
  await xapi.call('VM.remove_from_other_config', web.$ref, key)
  await waitFor(undefined)
}

const sessionId = xapi.sessionId
await xapi.disconnect()
// the client does not wait for session.logout: wait for the simulator
const deadline = Date.now() + 10000
for (;;) {
  const state = await sim('/sim/state')
  if (state.logged_out.some(s => s.ref === sessionId)) {
    assert.equal(state.sessions.length, 0)
    break
  }
  assert.ok(Date.now() < deadline, 'session.logout reached the simulator')
  await new Promise(resolve => setTimeout(resolve, 100))
}
console.log(`npm-xen-api ${transport}${watch ? ' events' : ''}: ok`)
process.exit(0)
