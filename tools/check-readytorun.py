#!/usr/bin/env python3
"""Exit 0 if every given .NET assembly carries ReadyToRun (precompiled) code, else name the ones that do not (exit 1).

A ReadyToRun image is an ordinary PE file whose CLI header has a non-empty ManagedNativeHeader directory (ECMA-335
II.25.3.3 reserves it; crossgen2 points it at the READYTORUN header). Used by .ci/run on the installed tool.
Usage: python3 tools/check-readytorun.py ASSEMBLY.dll [...]"""
import struct
import sys


def is_ready_to_run(path):
    with open(path, 'rb') as f:
        b = f.read()
    pe = struct.unpack_from('<I', b, 0x3C)[0]
    if b[pe:pe + 4] != b'PE\0\0':
        raise ValueError('not a PE file')
    sections = struct.unpack_from('<H', b, pe + 6)[0]
    opt_size = struct.unpack_from('<H', b, pe + 20)[0]
    opt = pe + 24
    magic = struct.unpack_from('<H', b, opt)[0]
    directories = opt + (96 if magic == 0x10B else 112)
    cli_rva, cli_size = struct.unpack_from('<II', b, directories + 14 * 8)  # entry 14: the CLI header
    if cli_size == 0:
        raise ValueError('no CLI header (not a .NET assembly)')
    for i in range(sections):
        _, vsize, va, rsize, raw = struct.unpack_from('<8sIIII', b, opt + opt_size + 40 * i)
        if va <= cli_rva < va + max(vsize, rsize):
            cli = cli_rva - va + raw
            break
    else:
        raise ValueError('CLI header outside every section')
    _, native_size = struct.unpack_from('<II', b, cli + 64)  # ManagedNativeHeader, after 8 earlier directories
    return native_size > 0


def main(paths):
    if not paths:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    bad = []
    for p in paths:
        try:
            if not is_ready_to_run(p):
                bad.append(f'{p}: IL only, no ReadyToRun code')
        except (OSError, ValueError, struct.error) as e:
            bad.append(f'{p}: {e}')
    for line in bad:
        print(f'check-readytorun: {line}', file=sys.stderr)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
