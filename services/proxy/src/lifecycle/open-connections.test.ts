import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { OpenConnections } from './open-connections.js';

const socket = (): Socket => new EventEmitter() as unknown as Socket;
/** A response on `on`: the shared 'close' listener finds its connection through `res.req.socket`, as node:http sets it. */
const response = (on: Socket): ServerResponse => Object.assign(new EventEmitter(), { req: { socket: on } }) as unknown as ServerResponse;

describe('OpenConnections', () => {
  it('keeps every other connection when one in the middle is removed', () => {
    const open = new OpenConnections();
    const [a, b, c] = [socket(), socket(), socket()];
    for (const s of [a, b, c]) open.add(s);
    open.remove(b);
    expect(open.snapshot().map((entry) => entry.socket)).toEqual([a, c]);
    open.remove(b); // twice: nothing changes
    open.remove(a);
    expect(open.snapshot().map((entry) => entry.socket)).toEqual([c]);
    open.remove(c);
    expect(open.size).toBe(0);
  });

  it('counts a request from its start to its close, and pipelined requests on one connection', () => {
    const open = new OpenConnections();
    const s = socket();
    open.add(s);
    const [first, second] = [response(s), response(s)];
    open.requestStarted(s, first);
    open.requestStarted(s, second);
    expect(open.inFlight).toBe(2);
    expect(open.snapshot()[0]).toMatchObject({ inFlight: 2, latest: second });
    first.emit('close');
    expect(open.snapshot()[0]).toMatchObject({ inFlight: 1, latest: second });
    second.emit('close');
    expect(open.inFlight).toBe(0);
    expect(open.snapshot()[0]).toMatchObject({ inFlight: 0, latest: undefined });
  });

  it('drops the requests of a connection that closed first, and never counts below zero', () => {
    const open = new OpenConnections();
    const [s, other] = [socket(), socket()];
    open.add(s);
    open.add(other);
    const res = response(s);
    open.requestStarted(s, res);
    open.remove(s);
    expect(open.inFlight).toBe(0);
    res.emit('close');
    expect(open.inFlight).toBe(0);
    expect(open.snapshot()).toMatchObject([{ socket: other, inFlight: 0 }]);
  });

  it('ignores a request on a connection it does not track (an upgraded one)', () => {
    const open = new OpenConnections();
    const s = socket();
    open.add(s);
    open.remove(s);
    open.requestStarted(s, response(s));
    expect(open.inFlight).toBe(0);
  });
});
