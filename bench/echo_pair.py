"""The ceiling of this architecture: a bare nameko HTTP entrypoint that makes one RPC to a service that
echoes its argument. No auth, no schemas, no database: what is left is HTTP parsing, two AMQP hops and
JSON. Started as two processes by the scheduling benchmarks (never part of the production gateway).

    nameko run --config <cfg> bench.echo_pair:EchoService
    nameko run --config <cfg> bench.echo_pair:EchoGateway
"""

import json

from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value


class EchoGateway:
    name = "bench_echo_gateway"

    echo = RpcProxy("bench_echo")

    @http("GET", "/echo")
    def get_echo(self, request):
        return 200, {"Content-Type": "application/json"}, json.dumps(self.echo.echo(request.args.get("x")))
