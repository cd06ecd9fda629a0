"""Start localstripe (a real, stateful fake Stripe server) for the tests.

localstripe pickles its whole store to the fixed path /tmp/localstripe.pickle after every write; that
file would be shared with every other test run on this machine. The tests start it `--from-scratch`
and never read that file, so its persistence is switched off here. Nothing else is changed."""

import sys

import localstripe.resources

localstripe.resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]

from localstripe.server import start  # noqa: E402

if __name__ == "__main__":
    sys.argv = [sys.argv[0], *sys.argv[1:], "--from-scratch"]
    start()
