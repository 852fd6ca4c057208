"""Check a Shotlee JSON export without the app: `python -m shotlee.verify_export FILE [--key-env LEDGER_KEY]`.

Plain Python: it imports only shotlee.lib (no Django, no database). It
recomputes every record's hash and link from genesis, checks the head and the
checkpoint, and names the first bad seq. The checkpoint's signature is an HMAC
under the server's LEDGER_KEY; give the name of an environment variable holding
that key to check it too. Exit status: 0 when the file verifies, 1 when it does
not, 2 when it cannot be read.
"""

from __future__ import annotations

import argparse
import os
import sys

from shotlee.lib import exportcheck


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shotlee.verify_export", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="a JSON export (GET /api/v1/export.json)")
    parser.add_argument("--key-env", help="an environment variable holding the server's LEDGER_KEY")
    options = parser.parse_args(argv)
    key = None
    if options.key_env:
        raw = os.environ.get(options.key_env)
        if not raw:
            print(f"cannot check the signature: ${options.key_env} is not set", file=sys.stderr)
            return 2
        key = raw.encode()
    try:
        with open(options.file, "rb") as handle:
            document = exportcheck.load(handle.read())
    except (OSError, exportcheck.NotAnExport) as exc:
        print(f"cannot read {options.file}: {exc}", file=sys.stderr)
        return 2
    report = exportcheck.check(document, key)
    if report.ok:
        signed = "signature checked" if key else "signature not checked (no key given)"
        print(f"OK: {report.entries} entries verify; head {report.head}; {signed}")
        return 0
    print(f"BAD: first bad seq {report.first_bad_seq}: {report.reason}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
