"""``python -m ministry_consumer`` (or ``ministry-consumer``): consume antre.integration into a local SQLite
file until Ctrl-C. Against ``make run``: no arguments needed (guest on the local broker, ministry "dev")."""

import argparse
import logging
import os
import signal

from ministry_consumer.consumer import Consumer, Settings


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ministry-consumer", description=__doc__)
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", Settings.amqp_url),
                        help="amqp(s)://user:password@host:port/vhost (env AMQP_URL)")  # fmt: skip
    parser.add_argument("--name", default=os.environ.get("MINISTRY", Settings.name), help="queues ministry.<name>.*")
    parser.add_argument("--bind", action="append", help="routing key (repeatable); default: every Antre event")
    parser.add_argument("--store", default=os.environ.get("MINISTRY_STORE", "var/ministry-events.sqlite"))
    parser.add_argument("--prefetch", type=int, default=Settings.prefetch)
    parser.add_argument("--classic", action="store_true", help="classic queues instead of quorum queues")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    os.makedirs(os.path.dirname(os.path.abspath(args.store)), exist_ok=True)
    settings = Settings(
        amqp_url=args.amqp_url,
        name=args.name,
        bindings=tuple(args.bind or Settings.bindings),
        store_path=args.store,
        prefetch=args.prefetch,
        quorum=not args.classic,
    )
    consumer = Consumer(settings)
    signal.signal(signal.SIGTERM, lambda *_: consumer.stop())
    try:
        consumer.run()
    except KeyboardInterrupt:
        consumer.stop()
    logging.info("stopped: %s; %d events in %s", consumer.counts, consumer.store.count(), args.store)


if __name__ == "__main__":
    main()
