"""The `rinse` command installed with the package: the Rust CLI, compiled into the
extension, on this process's arguments."""

import sys

from rinse._rinse import main as _main


def main() -> None:
    sys.exit(_main(["rinse", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
