#!/usr/bin/python3
"""An echo server on Python's websockets (Debian python3-websockets), to load
beside wsbench-server.  /usr/bin/python3 tools/e2e/echo-websockets.py [PORT]"""
import asyncio, signal, sys
import websockets

async def echo(ws, path=None):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass  # a client that vanished without a close frame

async def main(port):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with websockets.serve(echo, "127.0.0.1", port) as server:
        print(f"echo-websockets: ready on 127.0.0.1:{server.sockets[0].getsockname()[1]} "
              f"(python websockets {websockets.__version__})", flush=True)
        await stop

asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
